// A test wallet for the browser test, registered through the Wallet
// Standard's own window events (what @wallet-standard/wallet's
// registerWallet does), so the page discovers it as it would Phantom. It
// never holds a key: it finds its signature slot in the transaction and
// asks the test process (`window.__hdxWalletSign`, exposed by Playwright)
// to sign the message bytes. Injected with `addInitScript(testWallet, arg)`.
export function testWallet({ address, publicKey }) {
  const chains = ["solana:localnet", "solana:devnet", "solana:testnet", "solana:mainnet"];
  const features = ["standard:connect", "standard:disconnect", "standard:events", "solana:signTransaction", "solana:signMessage"];
  const account = Object.freeze({ address, publicKey: new Uint8Array(publicKey), chains, features, label: "Test patient" });
  const listeners = new Set();

  // compact-u16 (shortvec): the length prefix of Solana's wire format.
  const shortvec = (bytes, at) => {
    let value = 0;
    for (let i = 0; i < 3; i++) {
      const b = bytes[at + i];
      value |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return [value, at + i + 1];
    }
    throw new Error("bad shortvec");
  };

  async function signOne({ transaction }) {
    const bytes = new Uint8Array(transaction);
    const [sigCount, sigStart] = shortvec(bytes, 0);
    const messageStart = sigStart + 64 * sigCount;
    const message = bytes.slice(messageStart);
    let at = message[0] & 0x80 ? 1 : 0; // a versioned message starts with 0x80 | version
    const required = message[at];
    at += 3;
    const [keyCount, keysStart] = shortvec(message, at);
    let index = -1;
    for (let i = 0; i < Math.min(keyCount, required); i++) {
      const key = message.slice(keysStart + 32 * i, keysStart + 32 * (i + 1));
      if (key.every((b, j) => b === account.publicKey[j])) index = i;
    }
    if (index < 0) throw new Error("this transaction needs no signature of this wallet");
    const signature = await window.__hdxWalletSign(Array.from(message));
    if (!signature) {
      const e = new Error("User rejected the request.");
      e.code = 4001;
      throw e;
    }
    const signed = bytes.slice();
    signed.set(signature, sigStart + 64 * index);
    return { signedTransaction: signed };
  }

  // Signs a message (the gateway's off-chain message) as it is given.
  async function signMessage({ message }) {
    const signature = await window.__hdxWalletSign(Array.from(message));
    if (!signature) {
      const e = new Error("User rejected the request.");
      e.code = 4001;
      throw e;
    }
    return { signedMessage: new Uint8Array(message), signature: new Uint8Array(signature) };
  }

  const wallet = {
    version: "1.0.0",
    name: "HDX Test Wallet",
    icon: "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxNiAxNiI+PHJlY3Qgd2lkdGg9IjE2IiBoZWlnaHQ9IjE2IiByeD0iMyIgZmlsbD0iIzBiNWNhZCIvPjwvc3ZnPg==",
    chains,
    get accounts() {
      return connected ? [account] : [];
    },
    features: {
      "standard:connect": { version: "1.0.0", connect: async () => { connected = true; listeners.forEach((l) => l({ accounts: [account] })); return { accounts: [account] }; } },
      "standard:disconnect": { version: "1.0.0", disconnect: async () => { connected = false; } },
      "standard:events": { version: "1.0.0", on: (event, l) => { if (event === "change") listeners.add(l); return () => listeners.delete(l); } },
      "solana:signTransaction": {
        version: "1.0.0",
        supportedTransactionVersions: ["legacy", 0],
        signTransaction: async (...inputs) => Promise.all(inputs.map(signOne)),
      },
      "solana:signMessage": { version: "1.0.0", signMessage: async (...inputs) => Promise.all(inputs.map(signMessage)) },
    },
  };
  let connected = false;

  const callback = ({ register }) => register(wallet);
  window.dispatchEvent(new CustomEvent("wallet-standard:register-wallet", { detail: callback }));
  window.addEventListener("wallet-standard:app-ready", ({ detail: api }) => callback(api));
}
