/**
 * OHIF v3 (the pinned @ohif/app build) in Debian's chromium, served from an
 * origin other than the gateway's, configured only by the gateway's generated
 * app-config.js: study list through QIDO-RS, a study opened, an image drawn
 * from WADO-RS frames (pixels sampled; screenshot kept in test/e2e/artifacts/),
 * and a DICOM file uploaded with STOW-RS that then shows in the list.
 */
import anyTest, { type TestFn } from 'ava';
import { useOrthanc } from '../support/orthanc-fixture.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { installedOhifDir } from '../../src/viewer/ohif-build.js';
import { chromiumAvailable, launchChromium, type RunningBrowser } from './support/browser.js';
import { startOhifOrigin, type OhifOrigin } from './support/ohif-origin.js';
import { E2E_STUDY, UPLOAD_STUDY, openStudyAndCheckImage, showStudyList, uploadThroughOhif, watchPage, assertOhifUsedTheGateway } from './support/ohif-steps.js';

interface Context { browser: RunningBrowser; ohif: OhifOrigin; gw: RunningGateway }
const test = anyTest as TestFn<Context>;
const ohifDir = installedOhifDir();
const ready = ohifDir !== null && chromiumAvailable();

const fixture = useOrthanc(anyTest, ready ? [E2E_STUDY] : []);

if (!ready) {
  test('OHIF e2e prerequisites', (t) => {
    t.fail(`Needs chromium (apt-get install chromium) and an OHIF build (bash scripts/ohif/fetch.sh); found chromium=${chromiumAvailable()} ohif=${ohifDir !== null}`);
  });
} else {
  test.serial.before(async (t) => {
    t.context.ohif = await startOhifOrigin(ohifDir);
    t.context.gw = await startGateway(fixture().orthanc.dicomWebUrl, { security: { cors: { allowedOrigins: [t.context.ohif.origin] } } });
    t.context.ohif.gatewayOrigin = t.context.gw.origin;
    t.context.browser = await launchChromium();
  });
  test.after.always(async (t) => {
    await t.context.browser?.close();
    await t.context.gw?.close();
    await t.context.ohif?.close();
  });

  test.serial('OHIF on another origin lists studies through QIDO-RS, opens one and draws its image', async (t) => {
    const page = await t.context.browser.browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = watchPage(page, t.context.gw.origin);
    await showStudyList(t, page, t.context.ohif.origin, E2E_STUDY.patientName, 'cross-origin');
    await openStudyAndCheckImage(t, page, 'cross-origin');
    t.deepEqual(problems.failedGatewayRequests, [], 'every gateway request OHIF made succeeded (CORS, CORP, status)');
    assertOhifUsedTheGateway(t, problems.gatewayRequests);
    await page.close();
  });

  test.serial('OHIF on another origin uploads a DICOM file with STOW-RS and lists it', async (t) => {
    const page = await t.context.browser.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await uploadThroughOhif(t, page, t.context.ohif.origin, t.context.gw.origin);
    await showStudyList(t, page, t.context.ohif.origin, UPLOAD_STUDY.patientName, 'cross-origin');
    await page.close();
  });
}
