// Every valid message from any webview of the lab (the walk's panel, the side view, the review
// view), kept for the tests' API: the last one, and a promise for the next of a type. The views hand
// each message here after their own checks (src/view/protocol.ts); nothing here acts on one.
import type { FromWebviewMessage } from '../src/view/protocol';

export class WebviewMessages {
  private lastMessage: FromWebviewMessage | undefined;
  private listeners: ((message: FromWebviewMessage) => void)[] = [];

  /** A view received this valid message. */
  readonly received = (message: FromWebviewMessage): void => {
    this.lastMessage = message;
    for (const listener of this.listeners) listener(message);
  };

  get last(): FromWebviewMessage | undefined {
    return this.lastMessage;
  }

  /** Resolves with the next message of this type. */
  next<K extends FromWebviewMessage['type']>(type: K): Promise<Extract<FromWebviewMessage, { type: K }>> {
    return new Promise((resolve) => {
      const listener = (message: FromWebviewMessage) => {
        if (message.type !== type) return;
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(message as Extract<FromWebviewMessage, { type: K }>);
      };
      this.listeners.push(listener);
    });
  }
}
