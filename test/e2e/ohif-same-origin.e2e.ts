/**
 * The same-origin setup: the gateway itself serves the installed OHIF build
 * under /viewer/ (scripts/ohif/fetch.sh) with a generated app-config.js, and
 * no CORS configuration at all.
 */
import anyTest, { type TestFn } from 'ava';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { installedOhifDir } from '../../src/viewer/ohif-build.js';
import { chromiumAvailable, launchChromium, type RunningBrowser } from './support/browser.js';
import { E2E_STUDY, assertOhifUsedTheGateway, openStudyAndCheckImage, showStudyList, watchPage } from './support/ohif-steps.js';

interface Context { browser: RunningBrowser; gw: RunningGateway }
const test = anyTest as TestFn<Context>;
const ready = installedOhifDir() !== null && chromiumAvailable();
const fixture = useOrthanc(anyTest, ready ? [E2E_STUDY] : []);

if (!ready) {
  test('OHIF same-origin e2e prerequisites', (t) => {
    t.fail('Needs chromium (apt-get install chromium) and an OHIF build (bash scripts/ohif/fetch.sh)');
  });
} else {
  test.serial.before(async (t) => {
    t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl);
    t.context.browser = await launchChromium();
  });
  test.after.always(async (t) => {
    await t.context.browser?.close();
    await t.context.gw?.close();
  });

  test.serial('OHIF served by the gateway under /viewer/ lists, opens and draws a study', async (t) => {
    const page = await t.context.browser.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = watchPage(page, t.context.gw.origin);
    await showStudyList(t, page, `${t.context.gw.origin}/viewer`, E2E_STUDY.patientName, 'same-origin');
    await openStudyAndCheckImage(t, page, 'same-origin');
    t.deepEqual(watch.failedGatewayRequests, []);
    assertOhifUsedTheGateway(t, watch.gatewayRequests);
    await page.close();
  });
}
