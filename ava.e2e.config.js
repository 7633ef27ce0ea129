// Browser end-to-end tests (npm run test:e2e): OHIF in Debian's chromium against a real gateway and Orthanc.
export default {
  files: ['test/e2e/**/*.e2e.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  concurrency: 1,
  timeout: '180s',
  workerThreads: false,
};
