// Browser tests of pbx-portal in Debian's Chromium (no browser download). Each project
// runs against its own `pbx-portal demo` on a fresh database: `sqlite` always,
// `postgres` when E2E_POSTGRES_URL names a database it may reset. A third demo whose
// jobs wait (helpers/paused.ts) serves the specs that need a pending job.
import { defineConfig } from '@playwright/test';
import { PAUSED_PORT } from './helpers/paused';

const postgres = process.env.E2E_POSTGRES_URL;
const SQLITE_PORT = 18180;
const POSTGRES_PORT = 18181;

const server = (backend: string, port: number) => ({
  command: `bash serve-demo.sh ${backend} ${port}`,
  url: `http://127.0.0.1:${port}/login`,
  reuseExistingServer: false,
  timeout: 120_000,
  stdout: 'ignore' as const,
  stderr: 'pipe' as const,
});

export default defineConfig({
  testDir: './specs',
  outputDir: '../../test-results',
  // The specs share one demo database per project and change it: run them in order.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: [['list']],
  use: {
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'sqlite', use: { baseURL: `http://127.0.0.1:${SQLITE_PORT}` } },
    ...(postgres ? [{ name: 'postgres', use: { baseURL: `http://127.0.0.1:${POSTGRES_PORT}` } }] : []),
  ],
  webServer: [
    server('sqlite', SQLITE_PORT),
    server('paused', PAUSED_PORT),
    ...(postgres ? [server('postgres', POSTGRES_PORT)] : []),
  ],
});
