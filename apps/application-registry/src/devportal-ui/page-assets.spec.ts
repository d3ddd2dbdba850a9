import { join } from 'node:path';
import { findUiFolder, loadAssets, loadWithShared } from '@keymint/http-kit';

describe('devportal page assets', () => {
  it('finds apps/application-registry/ui/devportal from the sources and reads the page files with their types', () => {
    const folder = findUiFolder(__dirname, 'application-registry', 'devportal');
    expect(folder).toBe(join(__dirname, '..', '..', 'ui', 'devportal'));
    const assets = loadAssets(folder, ['index.html']);
    expect([...assets.keys()]).toEqual(['index.html']);
    expect(assets.get('index.html')!.contentType).toBe('text/html; charset=utf-8');
    // app.js: the shared helpers first, then the page's own code.
    const script = loadWithShared(folder, 'app.js')!;
    expect(script.contentType).toBe('text/javascript; charset=utf-8');
    const code = script.body.toString();
    expect(code.indexOf('window.keymintPage =')).toBeGreaterThanOrEqual(0);
    expect(code.indexOf('window.keymintPage =')).toBeLessThan(code.indexOf('Developer Portal REST API'));
    // The portal has no rules of its own: its style.css is the shared look.
    const stylesheet = loadWithShared(folder, 'style.css')!;
    expect(stylesheet.contentType).toBe('text/css; charset=utf-8');
    expect(stylesheet.body.toString()).toContain("keymint's pages");
    expect(assets.get('index.html')!.body.toString()).toContain('<script src="/devportal/app.js" defer></script>');
  });
});
