export * from './types';
export * from './errors';
export * from './validate';
export * from './clock';
export * from './lines';
export * from './log';
