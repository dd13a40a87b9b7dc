// A real WSDL-driven SOAP client (npm "soap") for the plugin's tests:
//   node npm-soap-client.js <wsdl url> <operation> <args JSON> [soap12]
// It reads the WSDL from the listener, calls the operation at the address
// the WSDL gives, and prints {"result": ...} or {"fault": ...} as JSON.
const soap = require('soap');

async function main() {
  const [url, op, args, version] = process.argv.slice(2);
  const client = await soap.createClientAsync(url, { forceSoap12Headers: version === 'soap12' });
  try {
    const [result] = await client[op + 'Async'](JSON.parse(args));
    console.log(JSON.stringify({ result }));
  } catch (err) {
    const body = err.root && err.root.Envelope && err.root.Envelope.Body;
    if (!body || !body.Fault) throw err;
    console.log(JSON.stringify({ fault: body.Fault, status: err.response && err.response.status }));
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
