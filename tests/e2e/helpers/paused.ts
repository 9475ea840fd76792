// A third demo (SQLite, started by playwright.config.ts) whose bulk jobs stay pending
// (`--run-jobs false`), for the specs that need a job still waiting: Reload mid-job and
// Stop job. Its data is the demo's, untouched by the other specs.
export const PAUSED_PORT = 18182;
export const PAUSED_URL = `http://127.0.0.1:${PAUSED_PORT}`;
