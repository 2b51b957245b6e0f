/**
 * Files in the console, in a real Chromium (test/helpers/chromium.ts) against the whole graph
 * serving the built console and storing files locally (the gateway's /files/): a manager picks a
 * PDF on the project's documents, sees the progress bar while the bytes travel, then version 1
 * with who uploaded it; Download hands the browser the same bytes; the document's access log shows
 * the DOWNLOAD; a second PDF dropped on the document's zone becomes version 2 in the versions table.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CREATE_PROJECT } from '../helpers/operations';
import { SCREENSHOTS, useConsoleBrowser } from '../helpers/console-browser';
import { loginAdmin, ok, signUp } from '../helpers/people';

jest.setTimeout(240_000);

const ui = useConsoleBrowser();
const { openPage, logIn, pageErrors } = ui;

/** A small but well-formed PDF (one empty page) whose text says `label`. */
function pdf(label: string): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Info (${label}) >>`,
  ];
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

it('uploads a PDF with a progress bar, downloads it, logs the DOWNLOAD, takes a new version', async () => {
  const admin = await loginAdmin(ui.graph);
  const manager = await signUp(ui.graph, admin, 'MANAGER', 'filesmgr');
  // No display name was given: the console names people by their username.
  const managerName = manager.username;
  const created = await ok<{ createProject: { id: string } }>(ui.graph, manager, CREATE_PROJECT, {
    input: { name: `Files ${manager.username}`, status: 'ACTIVE' },
  });
  const projectId = created.createProject.id;

  const page = await openPage();
  await logIn(page, manager);
  await page.goto(`${ui.origin}/#/projects/${projectId}`);
  const docs = page.getByRole('region', { name: 'Documents' });

  await docs
    .getByRole('heading', { name: 'Documents' })
    .waitFor({ timeout: 20000 })
    .catch(async () => {});
  // The PUT of the bytes is held until the progress bar has been seen, so that it is seen.
  const first = pdf('statement of work');
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  // The first request to the store is that PUT (times: 1, the download is left alone).
  await page.route(
    '**/files/**',
    async (route) => {
      await held;
      await route.continue();
    },
    { times: 1 },
  );
  await docs
    .getByLabel('Upload a file')
    .setInputFiles({ name: 'sow.pdf', mimeType: 'application/pdf', buffer: first });
  const progress = docs.getByRole('progressbar', { name: 'Upload of “sow.pdf”' });
  await progress.waitFor();
  await docs.getByRole('status').getByText('Uploading “sow.pdf”', { exact: false }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'files-uploading.png') });
  release();

  // Complete: the document, named after the file, at version 1 uploaded by the manager.
  const line = docs.getByRole('listitem').filter({ hasText: 'sow.pdf, v1' });
  await line.getByText(`sow.pdf, v1, ${first.length} B, uploaded by ${managerName}`).waitFor();
  expect(await progress.count()).toBe(0);

  // One click downloads the very bytes.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    line.getByRole('button', { name: 'Download “sow.pdf”' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('sow.pdf');
  const saved = await download.path();
  expect(Buffer.compare(await readFile(saved), first)).toBe(0);

  // The access log shows it.
  await line.getByRole('button', { name: 'Access log' }).click();
  const log = line.getByRole('table', { name: /^Access log of “sow.pdf”/ });
  await log.getByRole('row').filter({ hasText: managerName }).getByText('download').waitFor();

  // A new version, dropped onto the document's own zone (a DataTransfer holding a File, as the
  // browser builds one for a drop from the desktop).
  const second = pdf('statement of work, signed');
  const zone = line.locator('.dropzone');
  const dataTransfer = await page.evaluateHandle(
    ({ bytes, name }) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'application/pdf' }));
      return transfer;
    },
    { bytes: [...second], name: 'sow-signed.pdf' },
  );
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
  const updated = docs.getByRole('listitem').filter({ hasText: 'sow-signed.pdf, v2' });
  await updated.getByText(`sow-signed.pdf, v2, ${second.length} B`, { exact: false }).waitFor();
  await updated.getByRole('button', { name: 'Versions' }).click();
  const versions = updated.getByRole('table', { name: 'Versions of “sow.pdf”' });
  const rows = versions.getByRole('row');
  await rows.filter({ hasText: 'v2' }).getByText('sow-signed.pdf').waitFor();
  await rows.filter({ hasText: 'v1' }).getByText(managerName).waitFor();
  expect(await rows.count()).toBe(3); // the header and two versions
  await page.screenshot({ path: path.join(SCREENSHOTS, 'files-versions.png'), fullPage: true });

  // What the browser showed is what the API holds (newest first).
  const held2 = await ok<{
    project: {
      documents: {
        edges: { node: { versions: { version: number; name: string; size: number }[] } }[];
      };
    };
  }>(
    ui.graph,
    manager,
    'query ($id: ID!) { project(id: $id) { documents(first: 10) { edges { node { versions { version name size } } } } } }',
    { id: projectId },
  );
  expect(held2.project.documents.edges.map((e) => e.node.versions)).toEqual([
    [
      { version: 2, name: 'sow-signed.pdf', size: second.length },
      { version: 1, name: 'sow.pdf', size: first.length },
    ],
  ]);
  expect(pageErrors).toEqual([]);
});
