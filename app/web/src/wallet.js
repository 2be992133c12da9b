// Wallets through the Wallet Standard: any wallet that registers itself
// (Phantom, Solflare, Backpack, a test wallet) and offers `standard:connect`
// and `solana:signTransaction`. The key never touches the page: the wallet
// is handed the transaction's bytes and hands back the signed bytes.
import { getWallets } from "@wallet-standard/app";

const CONNECT = "standard:connect";
const DISCONNECT = "standard:disconnect";
const EVENTS = "standard:events";
const SIGN = "solana:signTransaction";
const SIGN_MESSAGE = "solana:signMessage";

const registry = getWallets();

export function solanaWallets() {
  return registry.get().filter((w) => CONNECT in w.features && SIGN in w.features);
}

/** Calls `listener` whenever a wallet registers or unregisters. */
export function onWalletsChanged(listener) {
  registry.on("register", listener);
  registry.on("unregister", listener);
}

/** The Wallet Standard chain id for a cluster URL. */
export function chainFor(url) {
  if (/devnet/.test(url)) return "solana:devnet";
  if (/testnet/.test(url)) return "solana:testnet";
  if (/mainnet/.test(url)) return "solana:mainnet";
  return "solana:localnet";
}

export class Connected {
  constructor(wallet, account) {
    this.wallet = wallet;
    this.account = account;
  }

  static async connect(wallet) {
    const { accounts } = await wallet.features[CONNECT].connect();
    const account = accounts[0] ?? wallet.accounts[0];
    if (!account) throw new Error(`${wallet.name} shared no account`);
    return new Connected(wallet, account);
  }

  get address() {
    return this.account.address;
  }

  /** Calls `listener` when the wallet's accounts change. */
  onChange(listener) {
    return this.wallet.features[EVENTS]?.on("change", listener);
  }

  async disconnect() {
    await this.wallet.features[DISCONNECT]?.disconnect();
  }

  /**
   * The wallet signs the serialized transaction; returns the signed bytes.
   * The cluster's chain is named only when the wallet declares it (many list
   * no `solana:localnet`, and `chain` is optional in the standard).
   */
  async sign(bytes, url) {
    const chain = chainFor(url);
    const declared = [...(this.account.chains ?? []), ...(this.wallet.chains ?? [])];
    const [out] = await this.wallet.features[SIGN].signTransaction({
      account: this.account,
      transaction: bytes,
      ...(declared.includes(chain) ? { chain } : {}),
    });
    return out.signedTransaction;
  }

  /** Whether the wallet signs messages (uploads to the gateway need it). */
  get signsMessages() {
    return SIGN_MESSAGE in this.wallet.features;
  }

  /**
   * The wallet's signature over `bytes` (a Solana off-chain message). A
   * wallet that hands back other bytes than it was given signed something
   * else: refused.
   */
  async signMessage(bytes) {
    if (!this.signsMessages) throw new Error(`${this.wallet.name} cannot sign messages; add the record by hand under "Advanced".`);
    const [out] = await this.wallet.features[SIGN_MESSAGE].signMessage({ account: this.account, message: bytes });
    const signed = new Uint8Array(out.signedMessage);
    if (signed.length !== bytes.length || signed.some((b, i) => b !== bytes[i])) {
      throw new Error(`${this.wallet.name} signed a different message than the one it was given; nothing was uploaded.`);
    }
    return new Uint8Array(out.signature);
  }
}
