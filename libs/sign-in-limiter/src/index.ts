export * from './address-bucket';
export * from './sign-in-limiter';
export * from './stored-failure-counts';
export * from './sign-in-failures.migration';
