// The schema document as JSON for power users, checked as they type (syntax, meta-schema, x-xrm).
import { json } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorView } from '@codemirror/view';
import CodeMirror from '@uiw/react-codemirror';
import { useMemo } from 'react';
import { checkSchemaText } from './schemaCheck';

interface Props {
  value: string;
  onChange: (text: string) => void;
  problemCount: number;
}

const schemaLinter = linter(
  (view): Diagnostic[] =>
    checkSchemaText(view.state.doc.toString()).map((d) => ({
      from: Math.min(d.from, view.state.doc.length),
      to: Math.min(d.to, view.state.doc.length),
      severity: 'error',
      message: d.message,
    })),
  { delay: 300 },
);

export function RawSchemaEditor({ value, onChange, problemCount }: Props) {
  const extensions = useMemo(
    () => [json(), schemaLinter, lintGutter(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': 'JSON Schema document' })],
    [],
  );
  return (
    <section className="card" aria-labelledby="raw-heading">
      <div className="section-header">
        <h2 id="raw-heading">JSON Schema</h2>
        <span className={problemCount ? 'error-text' : 'muted'} role="status" data-testid="schema-status">
          {problemCount ? `${problemCount} problem${problemCount === 1 ? '' : 's'}` : 'Valid'}
        </span>
      </div>
      <CodeMirror value={value} onChange={onChange} extensions={extensions} height="60vh" basicSetup={{ foldGutter: true, highlightActiveLine: true }} />
    </section>
  );
}
