// The mail `pbx-portal demo` sends: serve-demo.sh points MAIL_DIR at a fresh folder per
// project, where every outgoing message lands as a raw RFC 5322 `.eml` file
// (multipart/alternative; parts 7bit, quoted-printable or base64).
import { expect, TestInfo } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/** One captured message, headers unfolded and decoded, bodies transfer-decoded. */
export interface Mail {
  file: string;
  receivedAt: number;
  to: string[];
  subject: string;
  /** The text/plain part (or the whole body of a single-part message), lines ending in \n. */
  text: string;
  /** The text/html part, or "". */
  html: string;
}

/** The folder serve-demo.sh gives this project's demo as MAIL_DIR. */
export function mailFolder(testInfo: TestInfo): string {
  return `/tmp/pbx-portal-e2e-mail-${testInfo.project.name}`;
}

/** Every message in the project's mail folder, newest first. */
export function readMails(testInfo: TestInfo): Mail[] {
  const folder = mailFolder(testInfo);
  if (!fs.existsSync(folder)) return [];
  const mails: Mail[] = [];
  for (const name of fs.readdirSync(folder)) {
    if (!name.endsWith('.eml')) continue;
    const file = path.join(folder, name);
    let raw: string;
    let receivedAt: number;
    try {
      receivedAt = fs.statSync(file).mtimeMs;
      raw = fs.readFileSync(file, 'utf8');
    } catch {
      continue; // gone, or not readable yet
    }
    mails.push(parseMail(file, receivedAt, raw));
  }
  return mails.sort((a, b) => b.receivedAt - a.receivedAt);
}

/**
 * Waits (up to `timeout`, 10 s by default) for a message to `toAddress`, and returns the
 * newest one; `subjectContains` narrows to a kind of message, `since` (a Date.now()
 * taken before the action) to messages written after it.
 */
export async function waitForMail(
  testInfo: TestInfo,
  toAddress: string,
  options: { subjectContains?: string; since?: number; timeout?: number } = {},
): Promise<Mail> {
  const wanted = toAddress.toLowerCase();
  const find = () =>
    readMails(testInfo).find(
      (mail) =>
        mail.to.includes(wanted) &&
        (options.subjectContains === undefined || mail.subject.includes(options.subjectContains)) &&
        // A file's time may be a little coarser than Date.now().
        (options.since === undefined || mail.receivedAt >= options.since - 1_000),
    );
  let found: Mail | undefined;
  await expect
    .poll(
      () => {
        found = find();
        return found !== undefined;
      },
      {
        message: `a mail to ${toAddress}${options.subjectContains ? ` about "${options.subjectContains}"` : ''} in ${mailFolder(testInfo)}`,
        timeout: options.timeout ?? 10_000,
      },
    )
    .toBe(true);
  return found!;
}

/** The path (and query) of the set-password link in a message, e.g. `/password/abc…`. */
export function linkIn(mail: Mail): string {
  const pattern = /https?:\/\/[^\s"'<>]+\/password\/[^\s"'<>]+/;
  const match = mail.text.match(pattern) ?? mail.html.replace(/&amp;/g, '&').match(pattern);
  if (!match) throw new Error(`no /password/ link in the mail ${mail.file}:\n${mail.text}`);
  const url = new URL(match[0]);
  return url.pathname + url.search;
}

// --- parsing -------------------------------------------------------------------------

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parseMail(file: string, receivedAt: number, raw: string): Mail {
  const message = splitPart(raw);
  const leaves: Part[] = [];
  collectLeaves(message, leaves);
  const ofType = (type: string) =>
    leaves.find((part) => (part.headers.get('content-type') ?? 'text/plain').toLowerCase().startsWith(type));
  const text = ofType('text/plain');
  const html = ofType('text/html');
  const to = (message.headers.get('to') ?? '').match(/[^\s<>,"]+@[^\s<>,"]+/g) ?? [];
  return {
    file,
    receivedAt,
    to: to.map((address) => address.toLowerCase()),
    subject: decodeWords(message.headers.get('subject') ?? ''),
    text: text ? decodeBody(text).replace(/\r\n/g, '\n') : '',
    html: html ? decodeBody(html).replace(/\r\n/g, '\n') : '',
  };
}

/** Headers (unfolded, names lower-cased, first occurrence wins) and the body. */
function splitPart(raw: string): Part {
  const lines = raw.split(/\r?\n/);
  const headers = new Map<string, string>();
  let last = '';
  let i = 0;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i];
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (headers.has(name)) {
      last = '';
      continue;
    }
    headers.set(name, line.slice(colon + 1).trim());
    last = name;
  }
  return { headers, body: lines.slice(i + 1).join('\r\n') };
}

function collectLeaves(part: Part, leaves: Part[]) {
  const type = part.headers.get('content-type') ?? '';
  const boundary = type.match(/boundary="?([^";]+)"?/i)?.[1];
  if (!/^multipart\//i.test(type) || !boundary) {
    leaves.push(part);
    return;
  }
  const delimiter = `--${boundary}`;
  const chunks = part.body.split(delimiter);
  // chunks[0] is the preamble; a chunk starting with "--" follows the closing delimiter.
  for (const chunk of chunks.slice(1)) {
    if (chunk.startsWith('--')) break;
    collectLeaves(splitPart(chunk.replace(/^\r\n/, '').replace(/\r\n$/, '')), leaves);
  }
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** Quoted-printable: soft line breaks (`=` at a line's end) vanish, `=XX` is a byte. */
export function decodeQuotedPrintable(body: string): string {
  // A quoted-printable body is ASCII: each character is one byte, `=XX` another.
  const joined = body.replace(/=\r?\n/g, '');
  const bytes = joined.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** RFC 2047 encoded words in a header, e.g. `=?utf-8?q?Caf=C3=A9?=`. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, _charset, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}
