export * from './bearer';
export * from './guards';
export * from './token';
export * from './token-verifier';
export * from './viewer';
