import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { parseUrlState, toQueryString } from './model/filter.js';
import { ConnectionStore } from './model/store.js';
import { AgentSocket, agentSocketUrl } from './net/agent-socket.js';
import type { LinkStatus } from './net/status.js';
import './styles.css';

const urlState = parseUrlState(location.search);
// The server sets the auth cookie and redirects; a token must never stay in a URL that gets shared.
if (new URLSearchParams(location.search).has('token')) {
  history.replaceState(history.state, '', `${location.pathname}${toQueryString(urlState)}${location.hash}`);
}

const store = new ConnectionStore();
store.setFilter(urlState.filter);

/** What end-to-end tests and the benchmark read. */
interface SrctraceHook {
  loaded: number;
  inView: number;
  status: LinkStatus['state'];
  version: number;
}
const hookTarget = window as unknown as { __srctrace?: Partial<SrctraceHook> & Record<string, unknown> };
let linkState: LinkStatus['state'] = 'connecting';
const publish = (): void => {
  hookTarget.__srctrace = { ...hookTarget.__srctrace, loaded: store.all.length, inView: store.view.length, status: linkState, version: store.version };
  document.body.dataset.loaded = String(store.all.length);
  document.body.dataset.status = linkState;
};
store.subscribe(publish);
publish();

let setStatusFromSocket: (s: LinkStatus) => void = () => {};
let lastStatus: LinkStatus = { state: 'connecting' };
const socket = new AgentSocket(agentSocketUrl(location), {
  status: (s) => {
    lastStatus = s;
    linkState = s.state;
    publish();
    setStatusFromSocket(s);
  },
  message: (r) => store.receive(r),
});

function Root() {
  const [status, setStatus] = useState<LinkStatus>(lastStatus);
  useEffect(() => {
    setStatusFromSocket = setStatus;
    setStatus(lastStatus);
  }, []);
  return <App store={store} status={status} onReconnect={() => socket.reconnectNow()} initialLanes={urlState.lanes} />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
socket.start();
window.addEventListener('pagehide', () => socket.stop());
