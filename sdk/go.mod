module github.com/mockarty-oss/mockarty/sdk

go 1.26.8
