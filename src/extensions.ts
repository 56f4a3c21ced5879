/**
 * Extension points: named places where plugins contribute implementations.
 * Each point belongs to one owner (the kernel or a plugin), which defines
 * its type and decides how the contributions are used.
 *
 * @module
 */

export interface ExtensionPoint<T> {
  readonly id: string;
  readonly owner: string;
  /** Phantom field that carries the implementation type. */
  readonly __type?: T;
}

export function defineExtensionPoint<T>(owner: string, name: string): ExtensionPoint<T> {
  return { id: `${owner}/${name}`, owner };
}

export interface Contribution<T> {
  pluginId: string;
  impl: T;
}

export class ExtensionRegistry {
  private readonly byPoint = new Map<string, Contribution<unknown>[]>();

  provide<T>(point: ExtensionPoint<T>, pluginId: string, impl: T): void {
    const list = this.byPoint.get(point.id) ?? [];
    list.push({ pluginId, impl });
    this.byPoint.set(point.id, list);
  }

  get<T>(point: ExtensionPoint<T>): Contribution<T>[] {
    return (this.byPoint.get(point.id) ?? []) as Contribution<T>[];
  }
}
