import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcherEnvShape, serviceEnvShapes } from '@keymint/config';

/** The README is part of the product: every variable the code reads is documented there. */
describe('README', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

  it('documents every environment variable of every service and the launcher', () => {
    const variables = new Set([...Object.values(serviceEnvShapes).flatMap((shape) => Object.keys(shape)), ...Object.keys(launcherEnvShape)]);
    const undocumented = [...variables].filter((variable) => !readme.includes(`\`${variable}\``));
    expect(undocumented).toEqual([]);
  });

  it('shows the two commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});

describe('LICENSE', () => {
  it('is the Apache License 2.0 the README and package.json name', () => {
    const license = readFileSync(join(__dirname, '..', 'LICENSE'), 'utf8');
    const packageJson = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { license: string };
    expect(packageJson.license).toBe('Apache-2.0');
    expect(readFileSync(join(__dirname, '..', 'README.md'), 'utf8')).toMatch(/## License\s+Apache-2.0/);
    expect(license).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(license).toContain('END OF TERMS AND CONDITIONS');
  });
});
