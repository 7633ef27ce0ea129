/**
 * What a user does in OHIF, as Playwright steps shared by the cross-origin and
 * same-origin tests.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import { generateStudy, type StudySpec } from '../../../scripts/fixtures/generate.js';
import { ARTIFACTS_DIR } from './browser.js';
import { looksLikeAnImage, summarizePixels } from './pixels.js';

export const E2E_STUDY: StudySpec = {
  patientName: 'E2E^Viewer', patientId: 'E2E-1', birthDate: '19700101', sex: 'O', studyDate: '20240101',
  studyDescription: 'OHIF e2e study', accessionNumber: 'E2EACC1',
  series: [{ modality: 'CT', seriesDescription: 'phantom', instances: 3, rows: 256, columns: 256 }],
};

export const UPLOAD_STUDY: StudySpec = {
  patientName: 'E2E^Upload', patientId: 'E2E-2', birthDate: '19800101', sex: 'O', studyDate: '20240202',
  studyDescription: 'uploaded through OHIF', accessionNumber: 'E2EACC2',
  series: [{ modality: 'MR', seriesDescription: 'uploaded', instances: 1, rows: 128, columns: 128 }],
};

export interface PageWatch {
  failedGatewayRequests: string[];
  /** "METHOD path Accept" of every request OHIF sent to the gateway. */
  gatewayRequests: string[];
}

export function watchPage(page: Page, gatewayOrigin: string): PageWatch {
  const failedGatewayRequests: string[] = [];
  const gatewayRequests: string[] = [];
  page.on('request', (req) => {
    if (req.url().startsWith(gatewayOrigin)) gatewayRequests.push(`${req.method()} ${new URL(req.url()).pathname} ${req.headers().accept ?? ''}`);
  });
  page.on('requestfailed', (req) => {
    if (req.url().startsWith(gatewayOrigin)) failedGatewayRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.url().startsWith(gatewayOrigin) && res.status() >= 400) failedGatewayRequests.push(`${res.request().method()} ${res.url()}: ${res.status()}`);
  });
  page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));
  return { failedGatewayRequests, gatewayRequests };
}

export async function saveScreenshot(t: ExecutionContext, page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  t.log(`screenshot: ${file}`);
  return file;
}

/** The study list (OHIF's WorkList, filled by QIDO-RS /studies) shows a row for the patient. */
export async function showStudyList(t: ExecutionContext, page: Page, listUrl: string, patientName: string, label: string): Promise<void> {
  await page.goto(listUrl);
  const shown = patientName.replace('^', ', ');
  try {
    await page.getByText(shown, { exact: false }).first().waitFor({ timeout: 60_000 });
  } catch (err) {
    await saveScreenshot(t, page, `${label}-study-list-missing-${patientName.replace('^', '-')}`);
    throw err;
  }
  await saveScreenshot(t, page, `${label}-study-list-${patientName.replace('^', '-')}`);
}

/** Opens the listed study in the Basic Viewer and checks the viewport canvas holds a real image. */
export async function openStudyAndCheckImage(t: ExecutionContext, page: Page, label: string): Promise<void> {
  await page.getByText(E2E_STUDY.patientName.replace('^', ', ')).first().click();
  await page.getByRole('button', { name: /basic viewer/i }).first().click();
  await page.waitForURL(/StudyInstanceUIDs=/, { timeout: 30_000 });
  const canvas = page.locator('canvas.cornerstone-canvas').first();
  await canvas.waitFor({ timeout: 60_000 });
  let summary = await summarizePixels(await canvas.screenshot());
  for (let i = 0; i < 60 && !looksLikeAnImage(summary); i++) {
    await page.waitForTimeout(1000);
    summary = await summarizePixels(await canvas.screenshot());
  }
  const file = await saveScreenshot(t, page, `${label}-viewer`);
  t.log(`viewport pixels: ${JSON.stringify(summary)}`);
  t.true(looksLikeAnImage(summary), `the viewport canvas is not blank (see ${file})`);
}

/** A Part 10 file of UPLOAD_STUDY for OHIF's upload dialog. */
export function uploadFile(): { name: string; mimeType: string; buffer: Buffer } {
  const [instance] = generateStudy(UPLOAD_STUDY);
  return { name: 'upload.dcm', mimeType: 'application/dicom', buffer: instance!.part10 };
}

export async function uploadThroughOhif(t: ExecutionContext, page: Page, listUrl: string, gatewayOrigin: string): Promise<void> {
  await page.goto(listUrl);
  await page.getByRole('button', { name: /upload/i }).first().click({ timeout: 30_000 });
  const stowDone = page.waitForResponse((res) => res.url().startsWith(gatewayOrigin) && res.request().method() === 'POST', { timeout: 60_000 });
  await page.locator('input[type=file]').first().setInputFiles(uploadFile());
  const answer = await stowDone;
  t.log(`STOW-RS through OHIF: ${answer.status()} ${answer.url()}`);
  t.true(answer.status() === 200 || answer.status() === 202, `STOW-RS answered ${answer.status()}`);
  await saveScreenshot(t, page, 'cross-origin-upload-done');
}

/** The transactions OHIF really sent: QIDO-RS, series metadata, frames with the Accept OHIF documents, thumbnails. */
export function assertOhifUsedTheGateway(t: ExecutionContext, requests: string[]): void {
  const seen = (re: RegExp) => requests.some((r) => re.test(r));
  t.true(seen(/^GET \/dicom-web\/studies /), 'QIDO-RS studies search');
  t.true(seen(/^GET \/dicom-web\/studies\/[\d.]+\/series /), 'QIDO-RS series search (lazy study load)');
  t.true(seen(/^GET \/dicom-web\/studies\/[\d.]+\/series\/[\d.]+\/metadata /), 'series metadata');
  t.true(seen(/\/frames\/1 multipart\/related; type=application\/octet-stream; transfer-syntax=\*/), 'frames with OHIF\'s Accept');
  t.true(seen(/\/thumbnail /), 'thumbnails');
  t.log(`gateway requests from OHIF: ${requests.length}; e.g. ${requests.find((r) => r.includes('/frames/')) ?? 'no frames'}`);
}
