// Mockarty's pm.* sandbox API, evaluated once per runtime. It is written for
// this project from Postman's documented behaviour (learning.postman.com
// "Postman JavaScript reference", postman-collection and postman-sandbox docs).
// The file is one function expression: Go calls it with the host bridge and
// chai and gets back the hooks it drives each run with.
(function (host, chai) {
    'use strict';

    var hasOwn = Object.prototype.hasOwnProperty,
        globalObj = (0, eval)('this'), // eslint-disable-line no-eval
        run = null; // state of the current Sandbox.Run

    function isObject(v) { return v !== null && typeof v === 'object'; }
    function isPlainObject(v) {
        if (!isObject(v)) { return false; }
        var p = Object.getPrototypeOf(v);
        return p === null || p === Object.prototype;
    }
    function str(v) { return v === undefined || v === null ? '' : String(v); }

    // ---------------------------------------------------------------- lists
    // PropertyList: ordered members plus an index by key, as postman-collection
    // exposes headers, query parameters and cookies.
    function PropertyList(Type, items, opts) {
        Object.defineProperty(this, '_Type', { value: Type });
        Object.defineProperty(this, '_key', { value: opts.key });
        Object.defineProperty(this, '_ci', { value: Boolean(opts.caseInsensitive) });
        Object.defineProperty(this, '_multi', { value: Boolean(opts.multi) });
        this.members = [];
        this.reference = {};
        items && this.populate(items);
    }
    PropertyList.prototype = {
        constructor: PropertyList,
        _norm: function (k) { k = String(k); return this._ci ? k.toLowerCase() : k; },
        _reindex: function () {
            var ref = {}, self = this;
            this.members.forEach(function (m) {
                var k = m[self._key];
                if (k === undefined || k === null || k === '') { return; }
                k = self._norm(k);
                if (self._multi && hasOwn.call(ref, k)) {
                    Array.isArray(ref[k]) ? ref[k].push(m) : (ref[k] = [ref[k], m]);
                }
                else { ref[k] = m; }
            });
            this.reference = ref;
        },
        _make: function (args) {
            var item = args[0];
            if (item instanceof this._Type) { return item; }
            return this._Type.create ? this._Type.create.apply(null, args) : new this._Type(item);
        },
        insert: function (item, before) {
            if (!isObject(item)) { return; }
            var at = this.members.indexOf(item);
            at > -1 && this.members.splice(at, 1);
            var b = before === undefined ? -1 : this.indexOf(before);
            b > -1 ? this.members.splice(b, 0, item) : this.members.push(item);
            this._reindex();
        },
        insertAfter: function (item, after) {
            var i = this.indexOf(after);
            return this.insert(item, this.members[i + 1]);
        },
        add: function (item) {
            if (item === null || item === undefined || (typeof item === 'number' && isNaN(item))) { return; }
            this.insert(this._make(arguments));
        },
        append: function (item) { return this.insert(item); },
        prepend: function (item) { return this.insert(item, this.members[0]); },
        upsert: function (item) {
            if (item === null || item === undefined) { return null; }
            var existing = this.one(item[this._key]);
            if (existing) {
                existing.update(item);
                this._reindex();
                return false;
            }
            this.add(item);
            return true;
        },
        remove: function (predicate, context) {
            var self = this, match;
            if (typeof predicate === 'string') {
                match = this._norm(predicate);
                predicate = function (m) { return m[self._key] !== undefined && m[self._key] !== null && self._norm(m[self._key]) === match; };
            }
            else if (predicate instanceof this._Type) {
                match = predicate;
                predicate = function (m) { return m === match; };
            }
            if (typeof predicate !== 'function') { return; }
            this.members = this.members.filter(function (m, i, all) { return !predicate.call(context || self, m, i, all); });
            this._reindex();
        },
        clear: function () { this.members = []; this.reference = {}; },
        populate: function (items) {
            var self = this, list;
            if (typeof items === 'string' && this._Type.parse) { items = this._Type.parse(items); }
            if (Array.isArray(items)) { list = items; }
            else if (isPlainObject(items) && this._Type.fromPair) {
                list = Object.keys(items).map(function (k) { return self._Type.fromPair(k, items[k]); });
            }
            else { return this.add(items); }
            // append all, then index once: lists are built per run
            list.forEach(function (item) {
                if (item === null || item === undefined || (typeof item === 'number' && isNaN(item))) { return; }
                item = self._make([item]);
                isObject(item) && self.members.indexOf(item) < 0 && self.members.push(item);
            });
            this._reindex();
        },
        repopulate: function (items) { this.clear(); this.populate(items); },
        assimilate: function (source, prune) {
            var self = this, seen = {},
                members = source instanceof PropertyList ? source.members : source;
            if (!Array.isArray(members)) { return; }
            members.forEach(function (m) {
                if (!(m && hasOwn.call(m, self._key))) { return; }
                self.upsert(m);
                seen[self._norm(m[self._key])] = true;
            });
            prune && this.remove(function (m) { return !seen[self._norm(m[self._key])]; });
        },
        all: function () { return this.members.slice(); },
        one: function (id) {
            var v = this.reference[this._norm(id)];
            return Array.isArray(v) ? v[v.length - 1] : v;
        },
        get: function (key) { var m = this.one(key); return m ? m.valueOf() : undefined; },
        each: function (fn, ctx) { this.members.forEach(fn, ctx); },
        filter: function (fn, ctx) { return this.members.filter(fn, ctx); },
        find: function (fn, ctx) { return this.members.find(fn, ctx); },
        map: function (fn, ctx) { return this.members.map(fn, ctx); },
        reduce: function (fn, acc) { return this.members.reduce(fn, acc); },
        count: function () { return this.members.length; },
        idx: function (i) { return this.members[i]; },
        indexOf: function (item) {
            return this.members.indexOf(typeof item === 'string' ? this.one(item) : item);
        },
        has: function (item, value) {
            var match = typeof item === 'string' ? this.reference[this._norm(item)] :
                (this.members.indexOf(item) > -1 ? item : undefined);
            if (!match) { return false; }
            if (arguments.length === 1) { return true; }
            var list = Array.isArray(match) ? match : [match];
            return list.some(function (m) { return m.valueOf() === value; });
        },
        toObject: function (excludeDisabled, caseSensitive, multiValue, sanitizeKeys) {
            var out = {}, key = this._key,
                sensitive = !this._ci || caseSensitive,
                multi = this._multi || multiValue;
            this.members.forEach(function (m) {
                if (!m || !hasOwn.call(m, key) || (excludeDisabled && m.disabled) || (sanitizeKeys && !m[key])) { return; }
                var prop = sensitive ? m[key] : String(m[key]).toLowerCase();
                if (multi && hasOwn.call(out, prop)) {
                    Array.isArray(out[prop]) || (out[prop] = [out[prop]]);
                    out[prop].push(m.valueOf());
                }
                else { out[prop] = m.valueOf(); }
            });
            return out;
        },
        toString: function () {
            return this._Type.unparse ? this._Type.unparse(this.members) : '[object Object]';
        },
        toJSON: function () {
            return this.members.map(function (m) { return m.toJSON ? m.toJSON() : m; });
        }
    };

    // --------------------------------------------------------------- header
    function Header(options, name) {
        if (typeof options === 'string') {
            options = typeof name === 'string' ? { key: name, value: options } : Header.parseSingle(options);
        }
        this.update(options);
    }
    Header.prototype = {
        constructor: Header,
        update: function (o) {
            this.key = (o && o.key) || '';
            this.value = o && o.value !== undefined ? o.value : '';
            o && hasOwn.call(o, 'disabled') && (this.disabled = o.disabled);
        },
        valueOf: function () { return this.value; },
        toString: function () { return this.key + ': ' + this.value; },
        toJSON: function () {
            var o = { key: this.key, value: this.value };
            this.disabled && (o.disabled = true);
            return o;
        }
    };
    Header.create = function (value, name) { return new Header(value, name); };
    Header.fromPair = function (k, v) { return new Header({ key: k, value: v }); };
    Header.parseSingle = function (h) {
        var i = h.indexOf(':');
        i < 0 && (i = h.length);
        return { key: h.slice(0, i).trim(), value: h.slice(i + 1).trim() };
    };
    Header.parse = function (s) {
        return String(s).replace(/\r\n([ \t])/g, '$1').split(/\r?\n/).filter(function (l) {
            return /^\S+:/.test(l);
        }).map(Header.parseSingle);
    };
    Header.unparse = function (headers, sep) {
        sep === undefined && (sep = '\r\n');
        return (headers || []).reduce(function (acc, h) {
            return h && !h.disabled ? acc + h.key + ': ' + h.value + sep : acc;
        }, '');
    };
    function HeaderList(items) { PropertyList.call(this, Header, items, { key: 'key', caseInsensitive: true, multi: true }); }
    HeaderList.prototype = Object.create(PropertyList.prototype);
    HeaderList.prototype.constructor = HeaderList;
    HeaderList.prototype.contentSize = function () { return this.count() ? Header.unparse(this.members).length : 0; };

    // ----------------------------------------------------------- query param
    function QueryParam(options) {
        if (typeof options === 'string') { options = QueryParam.parseSingle(options); }
        this.update(options);
    }
    QueryParam.prototype = {
        constructor: QueryParam,
        update: function (o) {
            this.key = o && o.key !== undefined ? o.key : null;
            this.value = o && o.value !== undefined ? o.value : null;
            o && hasOwn.call(o, 'disabled') && (this.disabled = o.disabled);
        },
        valueOf: function () { return this.value; },
        toString: function () { return QueryParam.unparseSingle(this); },
        toJSON: function () {
            var o = { key: this.key, value: this.value };
            this.disabled && (o.disabled = true);
            return o;
        }
    };
    QueryParam.create = function (o) { return new QueryParam(o); };
    QueryParam.fromPair = function (k, v) { return new QueryParam({ key: k, value: v }); };
    QueryParam.parseSingle = function (p) {
        var i = p.indexOf('=');
        return i < 0 ? { key: p, value: null } : { key: p.slice(0, i), value: p.slice(i + 1) };
    };
    QueryParam.parse = function (q) {
        q = String(q);
        return q === '' ? [] : q.split('&').map(QueryParam.parseSingle);
    };
    QueryParam.unparseSingle = function (p) {
        var k = p.key === null || p.key === undefined ? '' : String(p.key);
        return p.value === null || p.value === undefined ? k : k + '=' + p.value;
    };
    QueryParam.unparse = function (params) {
        return (params || []).filter(function (p) { return p && !p.disabled; }).map(QueryParam.unparseSingle).join('&');
    };
    function QueryList(items) { PropertyList.call(this, QueryParam, items, { key: 'key', multi: true }); }
    QueryList.prototype = Object.create(PropertyList.prototype);
    QueryList.prototype.constructor = QueryList;

    // --------------------------------------------------------------- cookie
    function Cookie(o) {
        if (typeof o === 'string') { o = Cookie.parse(o); }
        o = o || {};
        this.name = o.name === undefined ? o.key : o.name;
        this.value = o.value;
        ['domain', 'path', 'expires', 'maxAge', 'secure', 'httpOnly', 'hostOnly', 'session', 'sameSite'].forEach(function (k) {
            o[k] !== undefined && (this[k] = o[k]);
        }, this);
    }
    Cookie.prototype = {
        constructor: Cookie,
        update: function (o) { Cookie.call(this, Object.assign({ name: this.name, value: this.value }, o)); },
        valueOf: function () { return this.value; },
        toString: function () { return this.name + '=' + this.value; }
    };
    Cookie.create = function (o) { return new Cookie(o); };
    // parse reads one Set-Cookie header value.
    Cookie.parse = function (s) {
        var parts = String(s).split(';'), first = parts.shift(), i = first.indexOf('='),
            c = { name: (i < 0 ? first : first.slice(0, i)).trim(), value: i < 0 ? '' : first.slice(i + 1).trim() };
        parts.forEach(function (p) {
            var j = p.indexOf('='), k = (j < 0 ? p : p.slice(0, j)).trim().toLowerCase(), v = j < 0 ? true : p.slice(j + 1).trim();
            if (k === 'domain') { c.domain = v; }
            else if (k === 'path') { c.path = v; }
            else if (k === 'expires') { c.expires = v; }
            else if (k === 'max-age') { c.maxAge = Number(v); }
            else if (k === 'secure') { c.secure = true; }
            else if (k === 'httponly') { c.httpOnly = true; }
            else if (k === 'samesite') { c.sameSite = v; }
        });
        return c;
    };
    function CookieList(items) { PropertyList.call(this, Cookie, items, { key: 'name' }); }
    CookieList.prototype = Object.create(PropertyList.prototype);
    CookieList.prototype.constructor = CookieList;
    CookieList.prototype.jar = function () {
        throw new Error('pm.cookies.jar() is not available in the Mockarty sandbox');
    };

    // ------------------------------------------------------------------ url
    function Url(options) {
        if (typeof options === 'string' || options === undefined || options === null) { options = Url.parse(str(options)); }
        else if (options instanceof Url) { options = Url.parse(options.toString()); }
        else if (typeof options.raw === 'string' && options.host === undefined) { options = Url.parse(options.raw); }
        this.update(options);
    }
    Url.prototype = {
        constructor: Url,
        update: function (o) {
            if (typeof o === 'string') { o = Url.parse(o); }
            o = o || {};
            this.auth = o.auth;
            this.protocol = o.protocol;
            this.port = o.port;
            this.path = typeof o.path === 'string' ? o.path.replace(/^\//, '').split('/') : o.path;
            this.hash = o.hash;
            this.host = typeof o.host === 'string' ? o.host.split('.') : o.host;
            this.query = new QueryList(typeof o.query === 'string' ? QueryParam.parse(o.query) : o.query);
            this.variables = new PropertyList(Object, [], { key: 'key' });
            // remembers a bare trailing "?" so an untouched URL prints as given
            Object.defineProperty(this, '_emptyQuery', { value: Boolean(o._emptyQuery), writable: true, configurable: true });
        },
        getHost: function () { return Array.isArray(this.host) ? this.host.join('.') : str(this.host); },
        getPath: function () {
            var p = Array.isArray(this.path) ? this.path.join('/') : str(this.path);
            return '/' + p.replace(/^\//, '');
        },
        getQueryString: function () { return QueryParam.unparse(this.query.members); },
        getPathWithQuery: function () {
            var q = this.getQueryString();
            return this.getPath() + (q ? '?' + q : '');
        },
        getRemote: function (forcePort) {
            var port = this.port || (forcePort ? (this.protocol === 'http' ? '80' : '443') : '');
            return this.getHost() + (port ? ':' + port : '');
        },
        getRaw: function () { return this.toString(); },
        addQueryParams: function (params) {
            var q = this.query;
            (typeof params === 'string' ? QueryParam.parse(params) : [].concat(params)).forEach(function (p) { q.add(p); });
        },
        removeQueryParams: function (params) {
            var q = this.query;
            [].concat(params).forEach(function (p) { q.remove(typeof p === 'string' ? p : p && p.key); });
        },
        toString: function () {
            var s = '';
            this.protocol && (s += this.protocol + '://');
            if (this.auth && (this.auth.user || this.auth.password)) {
                s += str(this.auth.user) + (this.auth.password !== undefined ? ':' + this.auth.password : '') + '@';
            }
            s += this.getHost();
            this.port && (s += ':' + this.port);
            if (this.path !== undefined && this.path !== null &&
                (Array.isArray(this.path) ? this.path.length : str(this.path) !== '')) {
                s += this.getPath();
            }
            var q = this.getQueryString();
            (q || this._emptyQuery) && (s += '?' + q);
            this.hash !== undefined && this.hash !== null && (s += '#' + this.hash);
            return s;
        },
        toJSON: function () {
            return {
                raw: this.toString(), protocol: this.protocol, host: this.host, port: this.port,
                path: this.path, query: this.query.toJSON(), hash: this.hash
            };
        }
    };
    // parse splits a URL into Postman's parts without decoding them, so that
    // toString gives back the text a request was defined with ({{vars}} included).
    Url.parse = function (raw) {
        var o = {}, s = raw.trim(), i;
        i = s.indexOf('#');
        if (i > -1) { o.hash = s.slice(i + 1); s = s.slice(0, i); }
        i = s.indexOf('?');
        if (i > -1) { o.query = QueryParam.parse(s.slice(i + 1)); o._emptyQuery = i === s.length - 1; s = s.slice(0, i); }
        var m = /^([^:/?#{}]+):\/\//.exec(s);
        if (m) { o.protocol = m[1]; s = s.slice(m[0].length); }
        i = s.indexOf('/');
        var authority = i < 0 ? s : s.slice(0, i);
        s = i < 0 ? '' : s.slice(i);
        i = authority.lastIndexOf('@');
        if (i > -1) {
            var cred = authority.slice(0, i), c = cred.indexOf(':');
            o.auth = c < 0 ? { user: cred } : { user: cred.slice(0, c), password: cred.slice(c + 1) };
            authority = authority.slice(i + 1);
        }
        m = /^(.*?)(?::(\d+|\{\{[^{}]*}}))?$/.exec(authority);
        if (m[1].charAt(0) === '[') { o.host = [m[1]]; }
        else { o.host = m[1] === '' ? [] : m[1].split('.'); }
        m[2] && (o.port = m[2]);
        if (s !== '') { o.path = s.slice(1).split('/'); }
        return o;
    };

    // ------------------------------------------------------------- request
    function RequestBody(o) {
        if (typeof o === 'string') { o = { mode: 'raw', raw: o }; }
        this.update(o || { mode: 'raw', raw: '' });
    }
    RequestBody.prototype = {
        constructor: RequestBody,
        update: function (o) {
            if (typeof o === 'string') { o = { mode: 'raw', raw: o }; }
            this.mode = o.mode || 'raw';
            ['raw', 'urlencoded', 'formdata', 'graphql', 'file', 'options', 'disabled'].forEach(function (k) {
                o[k] !== undefined ? (this[k] = o[k]) : delete this[k];
            }, this);
            if (this.urlencoded !== undefined && !(this.urlencoded instanceof QueryList)) {
                this.urlencoded = new QueryList(this.urlencoded);
            }
            if (this.formdata !== undefined && !(this.formdata instanceof QueryList)) {
                this.formdata = new QueryList(this.formdata);
            }
        },
        isEmpty: function () { return bodyText(this) === ''; },
        toString: function () { return bodyText(this); },
        toJSON: function () {
            var o = { mode: this.mode };
            this[this.mode] !== undefined && (o[this.mode] = this[this.mode] && this[this.mode].toJSON ? this[this.mode].toJSON() : this[this.mode]);
            return o;
        }
    };

    function formEncode(s) { return encodeURIComponent(str(s)).replace(/%20/g, '+'); }
    function paramsOf(list) {
        if (!list) { return []; }
        if (list instanceof PropertyList) { return list.members; }
        if (Array.isArray(list)) { return list; }
        if (isObject(list)) { return Object.keys(list).map(function (k) { return { key: k, value: list[k] }; }); }
        return [];
    }
    // bodyText flattens a Postman body definition into the bytes to send.
    function bodyText(b) {
        if (b === undefined || b === null) { return ''; }
        if (typeof b === 'string') { return b; }
        if (b.disabled) { return ''; }
        switch (b.mode) {
            case 'urlencoded':
                return paramsOf(b.urlencoded).filter(function (p) { return p && !p.disabled; }).map(function (p) {
                    return formEncode(p.key) + '=' + formEncode(p.value);
                }).join('&');
            case 'formdata':
                return multipartBody(paramsOf(b.formdata)).body;
            case 'graphql':
                var g = b.graphql || {}, vars = g.variables;
                if (typeof vars === 'string') { try { vars = vars.trim() ? JSON.parse(vars) : undefined; } catch (e) { vars = undefined; } }
                return JSON.stringify({ query: g.query, variables: vars });
            case 'file':
                return '';
            default:
                return b.raw === undefined || b.raw === null ? '' : (typeof b.raw === 'string' ? b.raw : JSON.stringify(b.raw));
        }
    }
    var multipartBoundary = '--------------------------mockarty0123456789';
    function multipartBody(params) {
        var body = '';
        params.forEach(function (p) {
            if (!p || p.disabled || p.type === 'file') { return; }
            body += '--' + multipartBoundary + '\r\nContent-Disposition: form-data; name="' + str(p.key) + '"\r\n' +
                (p.contentType ? 'Content-Type: ' + p.contentType + '\r\n' : '') + '\r\n' + str(p.value) + '\r\n';
        });
        return { body: params.length ? body + '--' + multipartBoundary + '--\r\n' : '', type: 'multipart/form-data; boundary=' + multipartBoundary };
    }

    function Request(o) {
        if (typeof o === 'string') { o = { url: o }; }
        o = o || {};
        this.id = o.id;
        this.name = o.name;
        this.url = new Url(o.url);
        this.method = o.method ? String(o.method).toUpperCase() : 'GET';
        this.headers = new HeaderList(o.header !== undefined ? o.header : o.headers);
        this.body = o.body instanceof RequestBody ? o.body : new RequestBody(o.body);
        o.auth !== undefined && (this.auth = o.auth);
        o.description !== undefined && (this.description = o.description);
    }
    Request.prototype = {
        constructor: Request,
        getHeaders: function (opts) {
            opts = opts || {};
            var out = {};
            this.headers.members.forEach(function (h) {
                if (opts.enabled && h.disabled) { return; }
                var k = opts.ignoreCase ? String(h.key).toLowerCase() : h.key;
                hasOwn.call(out, k) ? (Array.isArray(out[k]) ? out[k].push(h.value) : (out[k] = [out[k], h.value])) : (out[k] = h.value);
            });
            return out;
        },
        addHeader: function (h) { this.headers.add(h); },
        removeHeader: function (h) { this.headers.remove(h); },
        upsertHeader: function (h) { this.headers.upsert(h); },
        addQueryParams: function (p) { this.url.addQueryParams(p); },
        removeQueryParams: function (p) { this.url.removeQueryParams(p); },
        update: function (o) { Request.call(this, Object.assign(this.toJSON(), o)); },
        clone: function () { return new Request(this.toJSON()); },
        toJSON: function () {
            return {
                id: this.id, name: this.name, method: this.method, url: urlString(this.url),
                header: this.headers.toJSON(), body: this.body && this.body.toJSON ? this.body.toJSON() : this.body
            };
        }
    };
    Object.defineProperty(Request.prototype, 'to', { get: function () { return chai.expect(this).to; } });

    function urlString(u) { return u instanceof Url ? u.toString() : str(u); }
    function headerListOf(h) {
        if (h instanceof PropertyList) { return h.members; }
        return new HeaderList(h).members;
    }

    // plainRequest turns what a script hands to pm.sendRequest (a URL, a
    // request definition or a Request) into the shape the Go host sends.
    function plainRequest(r) {
        var req = r instanceof Request ? r : new Request(r),
            headers = headerListOf(req.headers).map(function (h) {
                return { key: str(h.key), value: str(h.value), disabled: Boolean(h.disabled) };
            }),
            body = req.body, text = bodyText(body),
            hasCT = headers.some(function (h) { return !h.disabled && h.key.toLowerCase() === 'content-type'; }),
            type;
        if (body && !hasCT && text !== '') {
            if (body.mode === 'urlencoded') { type = 'application/x-www-form-urlencoded'; }
            else if (body.mode === 'formdata') { type = multipartBody([]).type; }
            else if (body.mode === 'graphql') { type = 'application/json'; }
            else if (body.options && body.options.raw && body.options.raw.language === 'json') { type = 'application/json'; }
            type && headers.push({ key: 'Content-Type', value: type, disabled: false });
        }
        return { method: req.method || 'GET', url: urlString(req.url), headers: headers, body: text };
    }

    // ------------------------------------------------------------- response
    var reasons = host.reasons; // code -> standard reason phrase

    function Response(o) {
        o = o || {};
        this.id = o.id;
        this.status = o.status || (o.code !== undefined ? reasons[o.code] : undefined);
        this.code = o.code;
        this.headers = new HeaderList(o.headers);
        this.responseTime = o.time;
        this.responseSize = o.size;
        var cookies = [];
        this.headers.members.forEach(function (h) {
            String(h.key).toLowerCase() === 'set-cookie' && cookies.push(new Cookie(Cookie.parse(h.value)));
        });
        this.cookies = new CookieList(cookies);
        Object.defineProperty(this, '_text', { value: o.body === undefined ? undefined : str(o.body), writable: true });
        Object.defineProperty(this, '_size', { value: o.size || 0, writable: true });
    }
    Response.prototype = {
        constructor: Response,
        reason: function () { return this.status || reasons[this.code]; },
        details: function () {
            var std = reasons[this.code];
            return { name: this.status || std, detail: std || '', code: this.code, standardName: std };
        },
        text: function () { return this._text; },
        json: function (reviver) { return parseJSON(this.text(), reviver); },
        jsonp: function (reviver) {
            var t = str(this.text()).replace(/^[^{(].*\(/, '').replace(/\)[^}].*$|\)$/, '');
            return parseJSON(t, reviver);
        },
        contentInfo: function () {
            var ct = this.headers.get('Content-Type'), info = {};
            if (!ct) { return info; }
            ct = String(ct);
            var parts = ct.split(';');
            info.contentType = parts[0].trim();
            info.mimeType = info.contentType.split('/')[0];
            info.mimeFormat = info.contentType.split('/')[1] || '';
            parts.slice(1).forEach(function (p) {
                var kv = p.split('=');
                kv[0].trim().toLowerCase() === 'charset' && (info.charset = str(kv[1]).trim());
            });
            return info;
        },
        size: function () {
            var header = ('HTTP/X.X ' + this.code + ' ' + this.reason() + '\r\n\r\n').length + this.headers.contentSize(),
                body = this._size;
            return { body: body, header: header, total: body + header };
        },
        encoding: function () {
            var e = this.headers.get('Content-Encoding');
            return { format: e, source: e ? 'header' : undefined };
        },
        toJSON: function () {
            return {
                id: this.id, status: this.status, code: this.code, header: this.headers.toJSON(),
                body: this._text, responseTime: this.responseTime
            };
        }
    };
    Object.defineProperty(Response.prototype, 'to', { get: function () { return chai.expect(this).to; } });

    // parseJSON behaves like Postman's response.json(): a byte order mark is
    // ignored and a failure is a JSONError naming the position.
    function parseJSON(text, reviver) {
        var t = text === undefined || text === null ? '' : String(text);
        t.charCodeAt(0) === 0xFEFF && (t = t.slice(1));
        try { return JSON.parse(t, reviver); }
        catch (e) {
            var err = new SyntaxError(jsonErrorMessage(t));
            err.name = 'JSONError';
            throw err;
        }
    }
    function jsonErrorMessage(t) {
        if (t.trim() === '') { return 'Unexpected end of JSON input while parsing empty string'; }
        // find the first character a JSON parser would reject, for a useful message
        var i = 0, line = 1, col = 1, stack = [], expectValue = true, c;
        function at() { return ' at ' + line + ':' + col; }
        function adv(n) {
            for (var k = 0; k < n; k++) { if (t[i] === '\n') { line++; col = 1; } else { col++; } i++; }
        }
        while (i < t.length) {
            c = t[i];
            if (/\s/.test(c)) { adv(1); continue; }
            if (expectValue) {
                var m = /^(?:"(?:[^"\\\u0000-\u001f]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(t.slice(i));
                if (m) { adv(m[0].length); expectValue = false; continue; }
                if (c === '{' || c === '[') { stack.push(c); adv(1); continue; }
                if ((c === ']' && stack[stack.length - 1] === '[') || (c === '}' && stack[stack.length - 1] === '{')) {
                    stack.pop(); adv(1); expectValue = false; continue;
                }
                return 'Unexpected token \'' + c + '\'' + at();
            }
            if (c === ',' && stack.length) { adv(1); expectValue = true; continue; }
            if (c === ':' && stack[stack.length - 1] === '{') { adv(1); expectValue = true; continue; }
            if ((c === '}' && stack[stack.length - 1] === '{') || (c === ']' && stack[stack.length - 1] === '[')) {
                stack.pop(); adv(1); continue;
            }
            return 'Unexpected token \'' + c + '\'' + at();
        }
        return 'Unexpected end of JSON input' + at();
    }

    // ------------------------------------------------------------- variables
    // VariableScope is one of pm.environment, pm.globals, pm.collectionVariables,
    // pm.variables or pm.iterationData; the values live in Go (Scopes).
    function VariableScope(scope, name) {
        Object.defineProperty(this, '_scope', { value: scope });
        name !== undefined && (this.name = name);
    }
    var castIn = {
        string: function (v) { return String(v); },
        boolean: function (v) { return Boolean(v); },
        number: function (v) { return Number(v); }
    };
    VariableScope.prototype = {
        constructor: VariableScope,
        get: function (key) { return host.varGet(this._scope, str(key)); },
        has: function (key) { return host.varHas(this._scope, str(key)); },
        set: function (key, value, type) {
            typeof type === 'string' && castIn[type.toLowerCase()] && (value = castIn[type.toLowerCase()](value));
            host.varSet(this._scope, str(key), value);
        },
        unset: function (key) { host.varUnset(this._scope, str(key)); },
        clear: function () { host.varClear(this._scope); },
        toObject: function () { return host.varObject(this._scope); },
        replaceIn: function (template) { return replaceIn(this._scope, template); },
        syncVariablesTo: function (target) {
            var obj = this.toObject();
            if (!isObject(target)) { return obj; }
            Object.keys(target).forEach(function (k) { hasOwn.call(obj, k) || delete target[k]; });
            return Object.assign(target, obj);
        },
        toJSON: function () {
            var obj = this.toObject();
            return { values: Object.keys(obj).map(function (k) { return { key: k, value: obj[k], type: 'any' }; }) };
        }
    };
    function replaceIn(scope, template) {
        if (typeof template === 'string') { return host.varReplace(scope, template); }
        if (Array.isArray(template)) { return template.map(function (t) { return replaceIn(scope, t); }); }
        if (isPlainObject(template)) {
            var out = {};
            Object.keys(template).forEach(function (k) { out[k] = replaceIn(scope, template[k]); });
            return out;
        }
        return template;
    }
    var scopes = {
        globals: new VariableScope('globals'),
        collectionVariables: new VariableScope('collection'),
        environment: new VariableScope('environment'),
        variables: new VariableScope('variables'),
        iterationData: new VariableScope('data')
    };

    // --------------------------------------------------------------- console
    function inspect(v, depth) {
        if (typeof v === 'string') { return depth ? JSON.stringify(v) : v; }
        if (typeof v === 'function') { return '[Function' + (v.name ? ': ' + v.name : ' (anonymous)') + ']'; }
        if (typeof v === 'symbol' || typeof v === 'bigint') { return v.toString(); }
        if (!isObject(v)) { return String(v); }
        if (v instanceof Error) { return v.stack || (v.name + ': ' + v.message); }
        if (v instanceof Date) { return isNaN(v) ? 'Invalid Date' : v.toISOString(); }
        if (v instanceof RegExp) { return String(v); }
        try {
            var seen = [];
            return JSON.stringify(v, function (k, x) {
                if (typeof x === 'function') { return '[Function' + (x.name ? ': ' + x.name : '') + ']'; }
                if (x === undefined) { return 'undefined'; }
                if (isObject(x)) {
                    if (seen.indexOf(x) > -1) { return '[Circular]'; }
                    seen.push(x);
                }
                return x;
            });
        }
        catch (e) { return Object.prototype.toString.call(v); }
    }
    function makeConsole() {
        var c = {};
        ['log', 'info', 'warn', 'error', 'debug'].forEach(function (level) {
            c[level] = function () {
                var parts = [];
                for (var i = 0; i < arguments.length; i++) { parts.push(inspect(arguments[i], 0)); }
                host.log(level, parts.join(' '));
            };
        });
        c.clear = function () {};
        return c;
    }

    // ------------------------------------------------------------- pm.test
    function errorText(e) {
        if (isObject(e) && e instanceof Error) {
            return e.name === 'AssertionError' ? String(e.message) : e.name + ': ' + e.message;
        }
        return String(e);
    }
    function makeTest() {
        function test(name, fn) {
            name = String(name);
            if (typeof fn !== 'function') { host.test(name, true, false, ''); return pmObj(); }
            if (fn.length) {
                // a test taking `done` finishes when done is called, as in Postman;
                // one that never calls it is never reported.
                var finished = false, finish = function (err) {
                    if (finished) { return; }
                    finished = true;
                    err ? host.test(name, false, false, errorText(err)) : host.test(name, true, false, '');
                };
                try { fn(finish); }
                catch (e) { finish(e || new Error(String(e))); }
                return pmObj();
            }
            try { fn(); }
            catch (e) { host.test(name, false, false, errorText(e)); return pmObj(); }
            host.test(name, true, false, '');
            return pmObj();
        }
        test.skip = function (name) { host.test(String(name), true, true, ''); return pmObj(); };
        test.index = function () { return host.testCount(); };
        return test;
    }
    function pmObj() { return globalObj.pm; }

    // ----------------------------------------------------------- chai plugin
    // Postman's response and request assertions (pm.response.to.have.status(200)
    // and friends), with the messages Postman users see.
    chai.use(function (chai, utils) {
        var Assertion = chai.Assertion;
        function isResponse(o) { return o instanceof Response; }
        function isRequest(o) { return o instanceof Request; }
        // fail throws like a nested chai assertion would, ignoring `.not`:
        // these are preconditions of an assertion, not the assertion itself.
        function fail(a, msg) {
            throw new chai.AssertionError(msg.replace('#{this}', function () { return utils.objDisplay(a._obj); }),
                undefined, utils.flag(a, 'ssfi'));
        }
        function mustBeResponse(a) {
            isResponse(a._obj) || fail(a, 'expecting a postman response object but got #{this}');
            typeof a._obj.code === 'number' || fail(a, 'expected ' + utils.objDisplay(a._obj.code) + ' to be a number');
        }
        function mustBeResponseOnly(a) {
            isResponse(a._obj) || fail(a, 'expecting a postman response object but got #{this}');
        }
        Assertion.addProperty('postmanRequest', function () {
            this.assert(isRequest(this._obj), 'expecting a postman request object but got #{this}', 'not expecting a postman request object');
        });
        Assertion.addProperty('postmanResponse', function () {
            this.assert(isResponse(this._obj), 'expecting a postman response object but got #{this}', 'not expecting a postman response object');
        });
        Assertion.addProperty('postmanRequestOrResponse', function () {
            this.assert(isResponse(this._obj) || isRequest(this._obj),
                'expecting a postman request or response object but got #{this}', 'not expecting a postman request or response object');
        });
        function statusClass(cls) {
            return function () {
                mustBeResponse(this);
                this.assert(Math.floor(this._obj.code / 100) === cls, 'expected response code to be #{exp}XX but found #{act}',
                    'expected response code to not be #{exp}XX', cls, this._obj.code);
            };
        }
        Assertion.addMethod('statusCodeClass', function (cls) { statusClass(cls).call(this); });
        var classes = { info: 1, success: 2, redirection: 3, clientError: 4, serverError: 5 };
        Object.keys(classes).forEach(function (name) { Assertion.addProperty(name, statusClass(classes[name])); });
        Assertion.addProperty('error', function () {
            mustBeResponse(this);
            var cls = Math.floor(this._obj.code / 100);
            this.assert(cls === 4 || cls === 5, 'expected response code to be 4XX or 5XX but found #{act}',
                'expected response code to not be 4XX or 5XX', null, this._obj.code);
        });
        function assertCode(a, code) {
            a.assert(a._obj.code === Number(code), 'expected response to have status code #{exp} but got #{act}',
                'expected response to not have status code #{act}', Number(code), a._obj.code);
        }
        function assertReason(a, reason) {
            a.assert(a._obj.reason() === reason, 'expected response to have status reason #{exp} but got #{act}',
                'expected response to not have status reason #{act}', reason, a._obj.reason());
        }
        Assertion.addMethod('statusCode', function (code) { mustBeResponse(this); assertCode(this, code); });
        Assertion.addMethod('statusReason', function (reason) {
            mustBeResponseOnly(this);
            assertReason(this, String(reason));
        });
        Assertion.addMethod('status', function (codeOrReason) {
            mustBeResponseOnly(this);
            if (typeof codeOrReason === 'number') {
                typeof this._obj.code === 'number' || fail(this, 'expected ' + utils.objDisplay(this._obj.code) + ' to be a number');
                assertCode(this, codeOrReason);
            }
            else { assertReason(this, codeOrReason); }
        });
        var named = {
            accepted: [202, 'Accepted'], withoutContent: [204, 'No Content'], badRequest: [400, 'Bad Request'],
            unauthorised: [401, 'Unauthorised'], unauthorized: [401, 'Unauthorized'], forbidden: [403, 'Forbidden'],
            notFound: [404, 'Not Found'], notAcceptable: [406, 'Acceptable'], rateLimited: [429, 'Too Many Requests']
        };
        function assertNamed(a, code, reason) {
            var want = reason.toUpperCase(), got = String(a._obj.reason()).toUpperCase(), gotCode = Number(a._obj.details().code);
            a.assert(got === want, 'expected response to have status reason #{exp} but got #{act}',
                'expected response to not have status reason #{act}', want, got);
            a.assert(gotCode === code, 'expected response to have status code #{exp} but got #{act}',
                'expected response to not have status code #{act}', code, gotCode);
        }
        Object.keys(named).forEach(function (name) {
            Assertion.addProperty(name, function () {
                mustBeResponseOnly(this);
                assertNamed(this, named[name][0], named[name][1]);
            });
        });
        Assertion.addProperty('ok', function () {
            if (!isResponse(this._obj)) {
                this.assert(utils.flag(this, 'object'), 'expected #{this} to be truthy', 'expected #{this} to be falsy');
                return;
            }
            assertNamed(this, 200, 'OK');
        });
        Assertion.addMethod('header', function (key, value) {
            isResponse(this._obj) || isRequest(this._obj) ||
                fail(this, 'expecting a postman request or response object but got #{this}');
            var kind = isRequest(this._obj) ? 'request' : 'response', has = this._obj.headers.has(key);
            this.assert(has, 'expected ' + kind + ' to have header with key \'' + String(key) + '\'',
                'expected ' + kind + ' to not have header with key \'' + String(key) + '\'', true, has);
            if (arguments.length < 2) { return; }
            var got = this._obj.headers.one(key).value;
            this.assert(got === value, 'expected \'' + String(key) + '\' ' + kind + ' header to be #{exp} but got #{act}',
                'expected \'' + String(key) + '\' ' + kind + ' header to not be #{act}', value, got);
        });
        Assertion.addProperty('withBody', function () {
            mustBeResponseOnly(this);
            var t = this._obj.text();
            this.assert(typeof t === 'string' && t.length, 'expected response to have content in body', 'expected response to not have content in body');
        });
        function jsonError(obj) {
            try { obj.json(); return ''; }
            catch (e) { return e.name === 'JSONError' && e.message ? String(e.message).split('\n')[0] : e.name + ': ' + e.message; }
        }
        Assertion.addProperty('json', function () {
            mustBeResponseOnly(this);
            var err = jsonError(this._obj);
            this.assert(!err, 'expected response body to be a valid json but got error ' + err, 'expected response body not to be a valid json');
        });
        // html and xml are Mockarty additions (Postman has only json): they
        // check the Content-Type, which is what a script author means by them.
        function mediaType(name, re) {
            Assertion.addProperty(name, function () {
                mustBeResponseOnly(this);
                var ct = str(this._obj.headers.get('Content-Type'));
                this.assert(re.test(ct), 'expected response to be ' + name + ' but got content type #{act}',
                    'expected response not to be ' + name, null, ct);
            });
        }
        mediaType('html', /^\s*(text\/html|application\/xhtml\+xml)\b/i);
        mediaType('xml', /^\s*(text|application)\/([\w.+-]+\+)?xml\b/i);
        Assertion.addMethod('body', function (content) {
            mustBeResponseOnly(this);
            var data;
            if (isPlainObject(content)) {
                try { data = this._obj.json(); } catch (e) { data = undefined; }
                this.assert(deepEqual(data, content), 'expected response body json to equal #{exp} but got #{act}',
                    'expected response body json to not equal #{exp} but got #{act}', content, data);
                return;
            }
            data = this._obj.text();
            if (arguments.length === 0) {
                this.assert(typeof data === 'string' && data.length, 'expected response to have content in body', 'expected response to not have content in body');
                return;
            }
            if (content instanceof RegExp) {
                this.assert(content.exec(data) !== null, 'expected response body text to match #{exp} but got #{act}',
                    'expected response body text #{act} to not match #{exp}', content, data);
                return;
            }
            this.assert(deepEqual(data, content), 'expected response body to equal #{exp} but got #{act}',
                'expected response body to not equal #{exp}', content, data);
        });
        Assertion.addMethod('jsonBody', function (path, value) {
            mustBeResponseOnly(this);
            var body, err = '';
            try { body = this._obj.json(); }
            catch (e) { err = e.name === 'JSONError' && e.message ? String(e.message).split('\n')[0] : e.name + ': ' + e.message; }
            if (arguments.length === 0) {
                this.assert(!err, 'expected response body to be a valid json but got error ' + err, 'expected response body not to be a valid json');
                return;
            }
            if (typeof path !== 'string') { return; }
            var found = lookupPath(body, path);
            this.assert(found.ok, 'expected #{act} in response to contain property #{exp}',
                'expected #{act} in response to not contain property #{exp}', path, body);
            if (arguments.length > 1) {
                this.assert(deepEqual(found.value, value), 'expected response body json at "' + path + '" to contain #{exp} but got #{act}',
                    'expected response body json at "' + path + '" to not contain #{exp} but got #{act}', value, found.value);
            }
        });
        function measure(flagName, prop, compute) {
            Assertion.addChainableMethod(prop, function (value) {
                var n = utils.flag(this, 'number');
                this.assert(typeof n === 'number', 'expected response to have a valid ' + flagName + ' but got #{act}',
                    'expected response to not have a valid ' + flagName + ' but got #{act}', null, n);
                arguments.length && this.assert(deepEqual(n, value), 'expected response ' + flagName + ' to equal #{exp} but got #{act}',
                    'expected response ' + flagName + ' to not equal #{exp} but got #{act}', value, n);
            }, function () {
                mustBeResponseOnly(this);
                var n = compute(this._obj);
                utils.flag(this, 'number', n);
                this._obj = n;
            });
        }
        measure('response time', 'responseTime', function (r) { return r.responseTime; });
        measure('response size', 'responseSize', function (r) { var s = r.size(); return (s.header || 0) + (s.body || 0); });
        Assertion.addMethod('jsonSchema', function (schema) {
            new Assertion(schema).to.be.an('object');
            var data = isResponse(this._obj) || isRequest(this._obj) && typeof this._obj.json === 'function' ? this._obj.json() : this._obj,
                errors = validateSchema(schema, data);
            this.assert(errors.length === 0, 'expected data to satisfy schema but found following errors: \n' + errors.join(', '),
                'expected data to not satisfy schema', true, errors.length === 0);
        });
    });

    // deepEqual is lodash-isEqual-like structural equality for body assertions.
    function deepEqual(a, b) {
        if (a === b) { return true; }
        if (typeof a === 'number' && typeof b === 'number') { return isNaN(a) && isNaN(b); }
        if (!isObject(a) || !isObject(b)) { return false; }
        if (Array.isArray(a) !== Array.isArray(b)) { return false; }
        if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) { return false; }
        if (a instanceof Date) { return a.getTime() === b.getTime(); }
        if (a instanceof RegExp) { return String(a) === String(b); }
        var ka = Object.keys(a), kb = Object.keys(b);
        if (ka.length !== kb.length) { return false; }
        for (var i = 0; i < ka.length; i++) {
            if (!hasOwn.call(b, ka[i]) || !deepEqual(a[ka[i]], b[ka[i]])) { return false; }
        }
        return true;
    }

    // lookupPath reads a lodash-style path ("a.b[0].c") from a value.
    function lookupPath(obj, path) {
        var parts = [];
        String(path).replace(/[^.[\]]+|\[(?:(-?\d+(?:\.\d+)?)|(["'])((?:(?!\2)[^\\]|\\.)*?)\2)\]|(?=(?:\.|\[\])(?:\.|\[\]|$))/g,
            function (m, num, q, quoted) {
                parts.push(q ? quoted.replace(/\\(\\)?/g, '$1') : (num !== undefined ? num : m));
            });
        var cur = obj;
        for (var i = 0; i < parts.length; i++) {
            if (cur === null || cur === undefined || !hasOwn.call(Object(cur), parts[i])) { return { ok: false }; }
            cur = cur[parts[i]];
        }
        return { ok: true, value: cur };
    }

    // ----------------------------------------------------------- json schema
    // validateSchema checks data against a JSON Schema (draft-07 subset) and
    // returns Ajv-6-style messages ("data.name should be string").
    var formats = {
        'date-time': /^\d{4}-\d\d-\d\d[tT ]\d\d:\d\d:\d\d(\.\d+)?([zZ]|[+-]\d\d:?\d\d)$/,
        date: /^\d{4}-\d\d-\d\d$/,
        time: /^\d\d:\d\d:\d\d(\.\d+)?([zZ]|[+-]\d\d:?\d\d)?$/,
        email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
        uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i,
        ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
        uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
        hostname: /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*$/i
    };
    function typeOf(v) {
        if (v === null) { return 'null'; }
        if (Array.isArray(v)) { return 'array'; }
        return typeof v;
    }
    function hasType(v, t) {
        switch (t) {
            case 'integer': return typeof v === 'number' && isFinite(v) && Math.floor(v) === v;
            case 'number': return typeof v === 'number' && isFinite(v);
            case 'object': return isObject(v) && !Array.isArray(v);
            default: return typeOf(v) === t;
        }
    }
    function propPath(base, key) {
        return /^[A-Za-z_$][\w$]*$/.test(key) ? base + '.' + key : base + '[\'' + String(key).replace(/'/g, '\\\'') + '\']';
    }
    function resolveRef(root, ref) {
        if (ref === '#') { return root; }
        if (ref.indexOf('#/') !== 0) { return undefined; }
        return ref.slice(2).split('/').reduce(function (cur, p) {
            p = decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~');
            return isObject(cur) ? cur[p] : undefined;
        }, root);
    }
    function validateSchema(schema, data) {
        var errors = [];
        function check(s, v, path, depth) {
            if (s === true || s === undefined) { return; }
            if (s === false) { errors.push('data' + path + ' boolean schema is false'); return; }
            if (!isObject(s) || depth > 100) { return; }
            if (typeof s.$ref === 'string') {
                var target = resolveRef(schema, s.$ref);
                target === undefined ? errors.push('can\'t resolve reference ' + s.$ref) : check(target, v, path, depth + 1);
                return; // draft-07: siblings of $ref are ignored
            }
            var at = 'data' + path;
            if (s.type !== undefined) {
                var types = [].concat(s.type);
                if (!types.some(function (t) { return hasType(v, t); })) {
                    errors.push(at + ' should be ' + types.join(','));
                    return;
                }
            }
            if (s.enum && !s.enum.some(function (e) { return deepEqual(e, v); })) {
                errors.push(at + ' should be equal to one of the allowed values');
            }
            if (hasOwn.call(s, 'const') && !deepEqual(s.const, v)) { errors.push(at + ' should be equal to constant'); }
            if (typeof v === 'number') {
                typeof s.minimum === 'number' && v < s.minimum && errors.push(at + ' should be >= ' + s.minimum);
                typeof s.maximum === 'number' && v > s.maximum && errors.push(at + ' should be <= ' + s.maximum);
                typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum && errors.push(at + ' should be > ' + s.exclusiveMinimum);
                typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum && errors.push(at + ' should be < ' + s.exclusiveMaximum);
                if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
                    var q = v / s.multipleOf;
                    Math.abs(q - Math.round(q)) > 1e-9 && errors.push(at + ' should be multiple of ' + s.multipleOf);
                }
            }
            if (typeof v === 'string') {
                var len = Array.from(v).length;
                typeof s.minLength === 'number' && len < s.minLength && errors.push(at + ' should NOT be shorter than ' + s.minLength + ' characters');
                typeof s.maxLength === 'number' && len > s.maxLength && errors.push(at + ' should NOT be longer than ' + s.maxLength + ' characters');
                if (typeof s.pattern === 'string') {
                    var re;
                    try { re = new RegExp(s.pattern, 'u'); } catch (e) { re = null; }
                    re && !re.test(v) && errors.push(at + ' should match pattern "' + s.pattern + '"');
                }
                if (typeof s.format === 'string' && formats[s.format] && !formats[s.format].test(v)) {
                    errors.push(at + ' should match format "' + s.format + '"');
                }
            }
            if (Array.isArray(v)) {
                typeof s.minItems === 'number' && v.length < s.minItems && errors.push(at + ' should NOT have fewer than ' + s.minItems + ' items');
                typeof s.maxItems === 'number' && v.length > s.maxItems && errors.push(at + ' should NOT have more than ' + s.maxItems + ' items');
                if (s.uniqueItems === true) {
                    outer: for (var i = v.length - 1; i > 0; i--) {
                        for (var j = i - 1; j >= 0; j--) {
                            if (deepEqual(v[i], v[j])) {
                                errors.push(at + ' should NOT have duplicate items (items ## ' + j + ' and ' + i + ' are identical)');
                                break outer;
                            }
                        }
                    }
                }
                if (Array.isArray(s.items)) {
                    s.items.forEach(function (is, i) { i < v.length && check(is, v[i], path + '[' + i + ']', depth + 1); });
                    if (s.additionalItems === false && v.length > s.items.length) {
                        errors.push(at + ' should NOT have more than ' + s.items.length + ' items');
                    }
                    else if (isObject(s.additionalItems)) {
                        for (var k = s.items.length; k < v.length; k++) { check(s.additionalItems, v[k], path + '[' + k + ']', depth + 1); }
                    }
                }
                else if (s.items !== undefined) {
                    v.forEach(function (item, i) { check(s.items, item, path + '[' + i + ']', depth + 1); });
                }
                if (s.contains !== undefined) {
                    var before = errors.length, any = v.some(function (item) {
                        var mark = errors.length;
                        check(s.contains, item, path, depth + 1);
                        var ok = errors.length === mark;
                        errors.length = mark;
                        return ok;
                    });
                    errors.length = before;
                    any || errors.push(at + ' should contain a valid item');
                }
            }
            if (isObject(v) && !Array.isArray(v)) {
                var keys = Object.keys(v);
                (s.required || []).forEach(function (r) {
                    hasOwn.call(v, r) || errors.push(at + ' should have required property \'' + r + '\'');
                });
                typeof s.minProperties === 'number' && keys.length < s.minProperties && errors.push(at + ' should NOT have fewer than ' + s.minProperties + ' properties');
                typeof s.maxProperties === 'number' && keys.length > s.maxProperties && errors.push(at + ' should NOT have more than ' + s.maxProperties + ' properties');
                var props = isObject(s.properties) ? s.properties : {}, patterns = isObject(s.patternProperties) ? s.patternProperties : {};
                keys.forEach(function (key) {
                    var matched = false;
                    if (hasOwn.call(props, key)) { matched = true; check(props[key], v[key], propPath(path, key), depth + 1); }
                    Object.keys(patterns).forEach(function (p) {
                        var re;
                        try { re = new RegExp(p, 'u'); } catch (e) { return; }
                        if (re.test(key)) { matched = true; check(patterns[p], v[key], propPath(path, key), depth + 1); }
                    });
                    if (!matched && s.additionalProperties !== undefined) {
                        if (s.additionalProperties === false) { errors.push(at + ' should NOT have additional properties'); }
                        else { check(s.additionalProperties, v[key], propPath(path, key), depth + 1); }
                    }
                });
                if (isObject(s.dependencies)) {
                    Object.keys(s.dependencies).forEach(function (d) {
                        if (!hasOwn.call(v, d)) { return; }
                        var dep = s.dependencies[d];
                        Array.isArray(dep) ? dep.forEach(function (r) {
                            hasOwn.call(v, r) || errors.push(at + ' should have property ' + r + ' when property ' + d + ' is present');
                        }) : check(dep, v, path, depth + 1);
                    });
                }
            }
            function passes(sub) {
                var mark = errors.length;
                check(sub, v, path, depth + 1);
                var ok = errors.length === mark;
                errors.length = mark;
                return ok;
            }
            Array.isArray(s.allOf) && s.allOf.forEach(function (sub) { check(sub, v, path, depth + 1); });
            Array.isArray(s.anyOf) && !s.anyOf.some(passes) && errors.push(at + ' should match some schema in anyOf');
            Array.isArray(s.oneOf) && s.oneOf.filter(passes).length !== 1 && errors.push(at + ' should match exactly one schema in oneOf');
            s.not !== undefined && passes(s.not) && errors.push(at + ' should NOT be valid');
            if (s.if !== undefined) {
                if (passes(s.if)) { s.then !== undefined && check(s.then, v, path, depth + 1); }
                else if (s.else !== undefined) { check(s.else, v, path, depth + 1); }
            }
        }
        check(schema, data, '', 0);
        return errors;
    }

    // ---------------------------------------------------------- legacy API

    function stringish(v) {
        return (v === false || v) && typeof (v && v.toString) === 'function' ? v.toString() : v;
    }

    // legacyPostman is the legacy `postman` object; its setters also update the
    // script's `environment` / `globals` snapshot objects, as Postman's do.
    function legacyPostman(isTest) {
        function snapshot(name) {
            var v = globalObj[name]; // the script's legacy environment/globals object
            return isObject(v) ? v : {};
        }
        var p = {
            setEnvironmentVariable: function (k, v) { v = stringish(v); snapshot('environment')[k] = v; scopes.environment.set(k, v); },
            getEnvironmentVariable: function (k) { return scopes.environment.get(k); },
            clearEnvironmentVariable: function (k) { k && delete snapshot('environment')[k]; scopes.environment.unset(k); },
            clearEnvironmentVariables: function () {
                var env = snapshot('environment');
                Object.keys(env).forEach(function (k) { delete env[k]; });
                scopes.environment.clear();
            },
            setGlobalVariable: function (k, v) { v = stringish(v); snapshot('globals')[k] = v; scopes.globals.set(k, v); },
            getGlobalVariable: function (k) { return scopes.globals.get(k); },
            clearGlobalVariable: function (k) { k && delete snapshot('globals')[k]; scopes.globals.unset(k); },
            clearGlobalVariables: function () {
                var g = snapshot('globals');
                Object.keys(g).forEach(function (k) { delete g[k]; });
                scopes.globals.clear();
            },
            setNextRequest: function (what) { setNext(what); }
        };
        if (isTest) {
            p.getResponseHeader = function (name) {
                var res = runResponse(), h = res && res.headers.one(name);
                return h ? h.value : undefined;
            };
            p.getResponseCookie = function (name) {
                var res = runResponse();
                return res ? res.cookies.one(String(name)) : undefined;
            };
        }
        return p;
    }

    function setNext(what) { run.next = { value: what }; }

    function defineGlobal(name, value) {
        Object.defineProperty(globalObj, name, { value: value, writable: true, configurable: true, enumerable: false });
    }

    function runRequest() {
        if (run.request === undefined && host.hasRequest()) { run.request = new Request(host.requestData()); }
        return run.request;
    }
    function runResponse() {
        if (run.response === undefined && run.event === 'test' && host.hasResponse()) { run.response = new Response(host.responseData()); }
        return run.response;
    }

    // ------------------------------------------------------------- require
    var modules = {
        chai: function () { return chai; },
        atob: function () { return host.atob; },
        btoa: function () { return host.btoa; }
    };
    function requireModule(name) {
        name = String(name);
        if (hasOwn.call(modules, name)) { return modules[name](); }
        throw new Error('require(\'' + name + '\'): module "' + name + '" is not available in the Mockarty script sandbox' +
            ' (available: ' + Object.keys(modules).join(', ') + ')');
    }

    // pm is built once per runtime: its parts read the current Run when used,
    // so a script pays only for what it touches. Each script gets a fresh
    // object inheriting from it, as Postman gives each script its own pm.
    function getter(obj, name, get) {
        Object.defineProperty(obj, name, { get: get, enumerable: true, configurable: true });
    }
    var pmBase = {}, location = [];
    getter(location, 'current', function () { return run && run.info.requestName; });
    var executionPre = {
        setNextRequest: function (what) { setNext(what); },
        skipRequest: function () { host.skip(); }
    }, executionTest = {
        // like Postman, a test script has no skipRequest to call
        setNextRequest: function (what) { setNext(what); }
    };
    [executionPre, executionTest].forEach(function (e) {
        getter(e, 'location', function () {
            location.length = 0;
            run && run.info.requestName !== undefined && location.push(run.info.requestName);
            return location;
        });
    });
    getter(pmBase, 'info', function () {
        if (!run.pmInfo) {
            var i = run.info;
            run.pmInfo = Object.freeze({
                eventName: run.event, iteration: i.iteration, iterationCount: i.iterationCount,
                requestName: i.requestName, requestId: i.requestId
            });
        }
        return run.pmInfo;
    });
    Object.keys(scopes).forEach(function (k) {
        Object.defineProperty(pmBase, k, { value: scopes[k], enumerable: true });
    });
    getter(pmBase, 'request', function () { return runRequest(); });
    getter(pmBase, 'response', function () { return runResponse(); });
    getter(pmBase, 'cookies', function () {
        var r = runResponse();
        return r ? r.cookies : (run.noCookies || (run.noCookies = new CookieList([])));
    });
    getter(pmBase, 'execution', function () { return run.event === 'test' ? executionTest : executionPre; });
    Object.defineProperty(pmBase, 'visualizer', {
        enumerable: true,
        value: {
            set: function (template, data, options) {
                if (typeof template !== 'string') { throw new Error('Invalid template. Template must be of type string, found ' + typeof template); }
                if (data && typeof data !== 'object') { throw new Error('Invalid data. Data must be an object, found ' + typeof data); }
                if (options && typeof options !== 'object') { throw new Error('Invalid options. Options must be an object, found ' + typeof options); }
            },
            clear: function () {}
        }
    });
    Object.defineProperty(pmBase, 'sendRequest', {
        enumerable: true,
        value: function (req, callback) {
            var self = this;
            if (!req) {
                typeof callback === 'function' && callback.call(self, new Error('sendrequest: nothing to request'));
                return self;
            }
            host.send(plainRequest(req), function (err, res) {
                var response = new Response(err ? {} : res);
                typeof callback === 'function' && callback.call(self, err ? new Error(err) : null, response,
                    { cookies: response.cookies });
            });
            return self;
        }
    });
    Object.defineProperty(pmBase, 'require', { enumerable: true, value: function (name) { return requireModule(name); } });
    Object.defineProperty(pmBase, 'expect', { enumerable: true, value: chai.expect });
    Object.defineProperty(pmBase, 'test', { enumerable: true, value: makeTest() });

    function legacyRequest() {
        var req = runRequest(), info = run.info;
        return req ? {
            id: info.requestId, name: info.requestName, description: req.description,
            headers: req.headers.toObject(true, false, true, true), method: req.method, url: req.url.toString(),
            data: (function () { var t = bodyText(req.body); return t === '' ? {} : t; }())
        } : {};
    }

    // ------------------------------------------------------------ run hooks
    defineGlobal('console', makeConsole());
    defineGlobal('require', requireModule);
    defineGlobal('atob', host.atob);
    defineGlobal('btoa', host.btoa);
    ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate'].forEach(function (n) {
        defineGlobal(n, host[n]);
    });
    ['pm', 'mk', 'tests', 'iteration'].forEach(function (n) { defineGlobal(n, undefined); });

    // The other legacy globals are accessors defined once: a script computes
    // only the ones it reads, and what it assigns lasts until it ends.
    var legacyValues = {
        globals: function () { return scopes.globals.toObject(); },
        environment: function () { return scopes.environment.toObject(); },
        data: function () { return scopes.iterationData.toObject(); },
        request: legacyRequest,
        postman: function () { return legacyPostman(run.event === 'test'); },
        responseCookies: function () { var r = runResponse(); return r ? r.cookies.all() : undefined; },
        responseHeaders: function () {
            var r = runResponse(), headers = {};
            if (!r) { return undefined; }
            r.headers.each(function (h) { h && !h.disabled && (headers[h.key] = h.value); });
            return headers;
        },
        responseTime: function () { var r = runResponse(); return r ? r.responseTime : undefined; },
        responseCode: function () {
            var r = runResponse();
            return r ? { code: r.code, name: r.reason(), detail: r.details().detail } : undefined;
        },
        responseBody: function () { var r = runResponse(); return r ? r.text() : undefined; }
    };
    Object.keys(legacyValues).forEach(function (name) {
        Object.defineProperty(globalObj, name, {
            configurable: true,
            enumerable: false,
            get: function () {
                if (!run) { return undefined; }
                var cache = run.legacy;
                hasOwn.call(cache, name) || (cache[name] = legacyValues[name]());
                return cache[name];
            },
            set: function (v) { run && (run.legacy[name] = v); }
        });
    });

    return {
        // begin starts a Run; the request and response are fetched from Go
        // only if a script looks at them.
        begin: function (event, iteration, iterationCount, requestName, requestId) {
            run = {
                event: event,
                info: { iteration: iteration, iterationCount: iterationCount, requestName: requestName, requestId: requestId },
                request: undefined,
                response: undefined,
                next: undefined,
                legacy: {}
            };
        },
        // script gives one script a fresh pm and fresh legacy globals.
        script: function () {
            var pm = Object.create(pmBase);
            globalObj.pm = pm;
            globalObj.mk = pm;
            globalObj.tests = {};
            globalObj.iteration = run.info.iteration;
            run.legacy = {};
        },
        // legacyTests reports what the script put in the `tests` object, after
        // its synchronous part, which is when Postman reads it.
        legacyTests: function () {
            var t = globalObj.tests;
            if (!isObject(t)) { return; }
            Object.keys(t).forEach(function (k) {
                var v = t[k];
                v ? host.test(k, true, false, '') : host.test(k, false, false, 'expected ' + String(v) + ' to be truthy');
            });
        },
        // end returns the request as scripts left it (when a script looked at
        // it) and the next-request choice.
        end: function () {
            var out = { next: run.next }, req = run.request;
            if (req) {
                var headers = headerListOf(req.headers);
                out.request = {
                    method: str(req.method || 'GET').toUpperCase(),
                    url: urlString(req.url),
                    headers: headers.map(function (h) { return { key: str(h.key), value: str(h.value), disabled: Boolean(h.disabled) }; }),
                    body: bodyText(req.body)
                };
            }
            run = null;
            globalObj.pm = globalObj.mk = globalObj.tests = globalObj.iteration = undefined;
            return out;
        }
    };
})
