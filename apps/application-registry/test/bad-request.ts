import { HttpException } from '@nestjs/common';

/** The description of the 400 that `work` throws (fails the test when it does not throw one). */
export function descriptionOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).getStatus()).toBe(400);
    return ((error as HttpException).getResponse() as { description: string }).description;
  }
  throw new Error('expected a 400');
}
