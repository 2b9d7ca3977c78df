export { createPortalApp, type PortalAppDeps } from './app.tsx';
export { portalCommands } from './cli.ts';
export { type PortalConfig, portalConfigSchema } from './config.ts';
export { type RunningPortal, readPortalConfig, startPortal } from './server.ts';
