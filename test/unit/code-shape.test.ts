// Rules of the guide that a reader should not have to police: no function in src/ or tools/ is longer than 80
// lines (it can be read at once), and only the CLI ends the process. Read with the TypeScript compiler's parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..', '..');
const MAX_FUNCTION_LINES = 80;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = [...sources(join(root, 'src')), ...sources(join(root, 'tools'))].map((path) => ({
  name: relative(root, path),
  source: ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true),
}));

function each(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => each(child, visit));
}

/** How a function is called in a message: its name, the variable or property it is assigned to, or its line. */
function nameOf(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  const named = node.name ?? (ts.isVariableDeclaration(node.parent) || ts.isPropertyAssignment(node.parent) ? node.parent.name : undefined);
  if (named) return named.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  return `(function at line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1})`;
}

/** Every function with a body, and its length from its first line to its last (its doc comment aside). */
function functionLengths(source: ts.SourceFile): Array<{ name: string; lines: number }> {
  const found: Array<{ name: string; lines: number }> = [];
  each(source, (node) => {
    if (!ts.isFunctionLike(node) || !(node as ts.FunctionLikeDeclaration).body) return;
    const line = (position: number) => source.getLineAndCharacterOfPosition(position).line;
    found.push({ name: nameOf(node as ts.FunctionLikeDeclaration, source), lines: line(node.getEnd()) - line(node.getStart(source)) + 1 });
  });
  return found;
}

test(`no function in src/ or tools/ is longer than ${MAX_FUNCTION_LINES} lines`, () => {
  const long = files.flatMap(({ name, source }) => functionLengths(source)
    .filter((f) => f.lines > MAX_FUNCTION_LINES).map((f) => `${name}: ${f.name} has ${f.lines} lines`));
  assert.deepEqual(long, [], 'split these into functions that each do one thing');
});

test('the parser sees every kind of function, and counts from its first line to its last', () => {
  const source = ts.createSourceFile('x.ts', [
    'function a() {', '  return 1;', '}',
    'const b = () => {', '};',
    'class C {', '  constructor() {}', '  m(): void {', '    const f = function () {};', '  }', '}',
    'declare function d(): void;',
  ].join('\n'), ts.ScriptTarget.Latest, true);
  assert.deepEqual(functionLengths(source), [
    { name: 'a', lines: 3 }, { name: 'b', lines: 2 }, { name: 'constructor', lines: 1 }, { name: 'm', lines: 3 }, { name: 'f', lines: 1 },
  ]);
});

test('only the CLI ends the process: nothing else in src/ or tools/ calls process.exit', () => {
  const exits = files.filter(({ name }) => name !== join('src', 'cli.ts')).flatMap(({ name, source }) => {
    const found: string[] = [];
    each(source, (node) => {
      if (ts.isPropertyAccessExpression(node) && node.name.text === 'exit' && node.expression.getText(source) === 'process') {
        found.push(`${name}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`);
      }
    });
    return found;
  });
  assert.deepEqual(exits, [], 'return or resolve, and let the CLI exit with the code');
});
