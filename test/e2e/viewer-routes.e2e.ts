/**
 * The viewer-ready configuration without a browser: GET /ohif/app-config.js
 * and /ohif/data-source.json are generated from the gateway's config, loadable
 * from another origin, and the /viewer/ file resolution stays inside the build.
 */
import test from 'ava';
import path from 'node:path';
import vm from 'node:vm';
import { startGateway } from '../support/gateway.js';
import { installedOhifDir, resolveBuildFile } from '../../src/viewer/ohif-build.js';
import type { OhifDataSource } from '../../src/viewer/ohif-config.js';

const VIEWER_ORIGIN = 'http://viewer.example';

test('app-config.js is a window.config pointing OHIF at this gateway with honest capability flags', async (t) => {
  const gw = await startGateway('http://127.0.0.1:9/dicom-web', { server: { publicUrl: 'https://pacs.example/dicom-web' } });
  try {
    const res = await fetch(`${gw.origin}/ohif/app-config.js?basename=/ohif`);
    t.is(res.status, 200);
    t.is(res.headers.get('cross-origin-resource-policy'), 'cross-origin', 'a <script src> from the viewer origin is allowed');
    const sandbox: { window: { config?: { routerBasename: string; defaultDataSourceName: string; dataSources: OhifDataSource[] } } } = { window: {} };
    vm.runInNewContext(await res.text(), sandbox);
    const config = sandbox.window.config!;
    t.is(config.routerBasename, '/ohif');
    const [source] = config.dataSources;
    t.is(config.defaultDataSourceName, source!.sourceName);
    t.is(source!.namespace, '@ohif/extension-default.dataSourcesModule.dicomweb');
    t.like(source!.configuration, {
      qidoRoot: 'https://pacs.example/dicom-web', wadoRoot: 'https://pacs.example/dicom-web', wadoUriRoot: 'https://pacs.example/dicom-web',
      qidoSupportsIncludeField: true, supportsWildcard: true, supportsFuzzyMatching: true, supportsReject: false,
      imageRendering: 'wadors', thumbnailRendering: 'thumbnail', dicomUploadEnabled: true, omitQuotationForMultipartRequest: true,
    });
  } finally {
    await gw.close();
  }
});

test('data-source.json answers a configured origin with CORS; a bad basename is a 400 naming it', async (t) => {
  const gw = await startGateway('http://127.0.0.1:9/dicom-web', { security: { cors: { allowedOrigins: [VIEWER_ORIGIN] } } });
  try {
    const res = await fetch(`${gw.origin}/ohif/data-source.json`, { headers: { origin: VIEWER_ORIGIN } });
    t.is(res.headers.get('access-control-allow-origin'), VIEWER_ORIGIN);
    const source = (await res.json()) as OhifDataSource;
    t.is(source.configuration.qidoRoot, gw.url);
    const bad = await fetch(`${gw.origin}/ohif/app-config.js?basename=javascript:alert(1)`);
    t.is(bad.status, 400);
    t.regex(await bad.text(), /basename/);
  } finally {
    await gw.close();
  }
});

test('viewer files resolve only inside the OHIF build', (t) => {
  const root = installedOhifDir() ?? path.resolve('node_modules', '.cache', 'ohif', 'absent');
  t.is(resolveBuildFile(root, '/../../package.json'), null);
  t.is(resolveBuildFile(root, '/%2e%2e/%2e%2e/package.json'), null);
  t.is(resolveBuildFile(root, '/%E0%A4%A'), null);
  if (installedOhifDir()) t.is(resolveBuildFile(root, '/index.html'), path.join(root, 'index.html'));
});
