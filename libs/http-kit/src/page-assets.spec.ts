import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findUiFolder, loadAssets, loadWithShared, PAGE_SECURITY_HEADERS } from './page-assets';

describe('page assets', () => {
  it('skips missing files and a missing folder instead of failing the service start', () => {
    const folder = mkdtempSync(join(tmpdir(), 'keymint-ui-'));
    writeFileSync(join(folder, 'index.html'), '<!doctype html>');
    expect([...loadAssets(folder, ['index.html', 'app.js']).keys()]).toEqual(['index.html']);
    expect(loadAssets(null, ['index.html']).size).toBe(0);
    expect(findUiFolder(folder, 'no-such-app', 'nothing')).toBeNull();
  });

  it('allows scripts from the origin only: no inline code, no eval, no framing', () => {
    const policy = PAGE_SECURITY_HEADERS['Content-Security-Policy'];
    expect(policy).toContain("script-src 'self';");
    expect(policy).not.toContain('unsafe-inline');
    expect(policy).not.toContain('unsafe-eval');
    expect(policy).toContain("frame-ancestors 'none'");
    expect(PAGE_SECURITY_HEADERS['X-Frame-Options']).toBe('DENY');
  });

  it("serves a page's style.css as the shared look followed by the page's own rules", () => {
    const folder = mkdtempSync(join(tmpdir(), 'keymint-ui-'));
    writeFileSync(join(folder, 'style.css'), '.only-here { color: black; }');
    const css = loadWithShared(folder, 'style.css')!.body.toString();
    expect(css.indexOf("keymint's pages")).toBeGreaterThanOrEqual(0);
    expect(css.indexOf('.only-here')).toBeGreaterThan(css.indexOf("keymint's pages"));
  });
});
