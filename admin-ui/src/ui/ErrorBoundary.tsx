// A screen that throws while rendering shows an error state instead of a blank page.
import { Component, type ReactNode } from 'react';
import { ErrorState } from './States';

interface Props {
  children: ReactNode;
}

export class ErrorBoundary extends Component<Props, { error: unknown }> {
  state = { error: null as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  render() {
    if (this.state.error !== null) {
      return <ErrorState title="This screen failed" error={this.state.error} retry={() => this.setState({ error: null })} />;
    }
    return this.props.children;
  }
}
