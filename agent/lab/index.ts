// The lab's public surface: the CLI and the end-to-end tests import from here.
export { LabError, type LabErrorCode } from './errors.js';
export {
  labTopology, labNamespaces, destinationFor, validatePrefix, DEFAULT_PREFIX, DESTINATION_KINDS,
  type LabTopology, type LabDestination, type DestinationKind, type LabFamily, type LabAddress, type LabRoute, type LabUplink, type LabAddressPair,
} from './topology.js';
export { labUp } from './up.js';
export { labDown, labDownSync, type LabDownResult } from './down.js';
export { labStatus, renderLabStatus, type LabStatus, type LabNamespaceState } from './status.js';
export { labTraffic, renderTraffic, type LabAttempt, type LabTrafficResult, type LabTrafficOptions } from './traffic.js';
export { routeGet, type RouteGetResult } from './route-get.js';
export { assertLabPrerequisites } from './ip.js';
export { runLabCommand, LAB_USAGE } from './command.js';
