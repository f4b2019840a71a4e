// tools/list as the model receives it: bytes and tokens in all and per tool, for the read-only role and for the
// built-in `edit` role; the peer lists the same tools whatever the role, so its rows are --read-only and without.
import { say, type Bench } from '../context.ts';
import { LABEL, open, type Kind } from '../servers.ts';
import { round2 } from '../stats.ts';
import { tokens } from '../tokens.ts';

const ROLES: Array<{ role: string; ours: Kind; peer: Kind }> = [
  { role: 'read-only', ours: 'ours', peer: 'peer' },
  { role: 'edit', ours: 'ours-edit', peer: 'peer-edit' },
];

export async function toolsList(bench: Bench): Promise<void> {
  say('tools/list: bytes and tokens per tool, read-only and edit roles');
  const out: Record<string, unknown> = {};
  for (const { role, ours, peer } of ROLES) {
    const row: Record<string, unknown> = {};
    for (const kind of [ours, peer]) {
      const s = await open(bench, kind);
      try {
        const text = JSON.stringify(await s.client.listTools());
        const bytes = Buffer.byteLength(text);
        row[kind.startsWith('ours') ? 'ours' : 'peer'] = {
          label: LABEL[kind], tools: s.tools.length, toolNames: s.tools, bytes, tokens: tokens(text),
          bytesPerTool: Math.round(bytes / s.tools.length), tokensPerTool: Math.round(tokens(text) / s.tools.length),
        };
      } finally {
        await s.close();
      }
    }
    const r = row as { ours: { bytesPerTool: number }; peer: { bytesPerTool: number } };
    out[role] = { ...row, oursOverPeerPerTool: round2(r.ours.bytesPerTool / r.peer.bytesPerTool) };
    say(`  ${role}: ${r.ours.bytesPerTool} against ${r.peer.bytesPerTool} B per tool`);
  }
  bench.results['toolsList'] = out;
}
