import test from 'ava';
import { ConfigError, loadConfig } from '../../src/config/load.js';

test('defaults load and are frozen', (t) => {
  const config = loadConfig({ env: {} });
  t.is(config.server.host, '127.0.0.1');
  t.is(config.server.basePath, '/dicom-web');
  t.true(Object.isFrozen(config.server));
});

test('environment variables override the defaults', (t) => {
  const config = loadConfig({ env: { GATEWAY_PORT: '9999', GATEWAY_HOST: '0.0.0.0', GATEWAY_UPSTREAM_URL: 'http://pacs.example:8042/dicom-web/' } });
  t.is(config.server.port, 9999);
  t.is(config.server.host, '0.0.0.0');
  t.is(config.upstream.url, 'http://pacs.example:8042/dicom-web');
});

test('every problem is listed, not only the first', (t) => {
  const err = t.throws(() => loadConfig({ env: { GATEWAY_PORT: 'eighty', GATEWAY_UPSTREAM_URL: 'not a url', GATEWAY_LOG_LEVEL: 'loud' } }), { instanceOf: ConfigError });
  t.is(err?.problems.length, 3);
  t.regex(err!.message, /GATEWAY_PORT/);
  t.regex(err!.message, /upstream\.url/);
  t.regex(err!.message, /log\.level/);
});

test('a GATEWAY_CONFIG file that does not exist is an error', (t) => {
  const err = t.throws(() => loadConfig({ env: { GATEWAY_CONFIG: 'no/such/file.json' } }), { instanceOf: ConfigError });
  t.regex(err!.message, /no\/such\/file\.json/);
});

test('unknown keys are rejected', (t) => {
  t.throws(() => loadConfig({ env: {}, overrides: { server: { prot: 1 } } }), { instanceOf: ConfigError });
});
