// Every label the webview draws itself; what it shows as content comes from the extension.
export const strings = {
  connecting: 'Connecting to the extension…',
  connected: 'Connected',
  details: 'About this panel',
  host: 'Extension host',
  hostKinds: { node: 'Node', web: 'Web worker' },
  extensionVersion: 'Extension version',
  protocolVersion: 'Protocol version',
  protocolMismatch: (theirs: number, ours: number) => `The extension speaks protocol ${theirs}, this panel ${ours}: reload the window.`,
} as const;
