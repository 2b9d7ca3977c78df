import { demoServices } from '../dev/demo-federation.ts';

/**
 * The metadata of a sample registry's service as the demo federation's directory publishes it
 * (title, description, eID scope, level, purposes, legal bases), so adapter and directory agree.
 */
export function demoServiceMetadata(serviceId: string) {
  const service = demoServices.find((s) => s.id === serviceId);
  if (!service) throw new TypeError(`the demo federation has no service ${serviceId}`);
  const [code, version] = service.id.split('/').slice(4);
  return {
    code: code!,
    version: version!,
    title: service.title,
    description: service.description,
    personalData: service.personalData,
    eidScope: service.eidScope,
    requiredLoa: service.requiredLoa,
    purposes: service.purposes,
    legalBases: service.legalBases,
    hideable: service.hideable,
  };
}
