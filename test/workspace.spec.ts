import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** The monorepo's wiring: every lib is reachable as @keymint/<lib> from tsc and Jest alike. */
const root = join(__dirname, '..');
const paths = (require('../tsconfig.base.json') as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths;
const nestCli = require('../nest-cli.json') as { monorepo: boolean; projects: Record<string, { type: string; root: string }> };

describe('workspace layout', () => {
  const libs = readdirSync(join(root, 'libs'));
  const apps = readdirSync(join(root, 'apps'));

  it('maps every lib to its index and nothing else', () => {
    expect(Object.keys(paths).sort()).toEqual(libs.map((lib) => `@keymint/${lib}`).sort());
    for (const lib of libs) {
      expect(paths[`@keymint/${lib}`]).toEqual([`libs/${lib}/src`]);
      expect(existsSync(join(root, 'libs', lib, 'src', 'index.ts'))).toBe(true);
    }
  });

  it('declares every app and lib in nest-cli.json', () => {
    expect(nestCli.monorepo).toBe(true);
    for (const app of apps) expect(nestCli.projects[app]).toMatchObject({ type: 'application', root: `apps/${app}` });
    for (const lib of libs) expect(nestCli.projects[lib]).toMatchObject({ type: 'library', root: `libs/${lib}` });
  });
});
