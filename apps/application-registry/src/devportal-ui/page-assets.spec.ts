import { join } from 'node:path';
import { findUiFolder, loadAssets, loadStylesheet } from '@keymint/http-kit';

describe('devportal page assets', () => {
  it('finds apps/application-registry/ui/devportal from the sources and reads the page files with their types', () => {
    const folder = findUiFolder(__dirname, 'application-registry', 'devportal');
    expect(folder).toBe(join(__dirname, '..', '..', 'ui', 'devportal'));
    const assets = loadAssets(folder, ['index.html', 'app.js']);
    expect([...assets.keys()]).toEqual(['index.html', 'app.js']);
    expect(assets.get('index.html')!.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('app.js')!.contentType).toBe('text/javascript; charset=utf-8');
    // The portal has no rules of its own: its style.css is the shared look.
    const stylesheet = loadStylesheet(folder)!;
    expect(stylesheet.contentType).toBe('text/css; charset=utf-8');
    expect(stylesheet.body.toString()).toContain("keymint's pages");
    expect(assets.get('index.html')!.body.toString()).toContain('<script src="/devportal/app.js" defer></script>');
  });
});
