import type { InstanceAccess, LibsqlTokenClaims } from '../instance-tokens';
import type { LibsqlRoute } from './routing';

/** What a request's token lets it reach: one instance, named by the URL or by the token. */
export interface Grant {
  readonly instance: string;
  readonly access: InstanceAccess;
  /**
   * Whose streams its batons may name: the instance's id for an instance token; the
   * jurisdiction and the instance for a jurisdiction token, so a baton never crosses instances.
   * Both with the access level: a read-only token never runs on a stream a read-write one opened.
   */
  readonly owner: string;
  /** Whether the instance `fleet.open` gave under that name is one the token is for. */
  admits(instance: { readonly id: string; readonly jurisdiction: string }): boolean;
}

/**
 * The grant of verified claims for a route, or undefined when the token is not for it. An
 * instance token routes by itself when the URL names no instance; a jurisdiction token needs
 * the URL to name one, which must exist in its jurisdiction (checked in the catalog first, so
 * the answer says nothing about other jurisdictions' instances, and no foreign one is touched).
 */
export function grantOf(
  claims: LibsqlTokenClaims,
  route: LibsqlRoute,
  find: (name: string) => { readonly jurisdiction: string } | undefined,
): Grant | undefined {
  if (claims.kind === 'instance') {
    if (route.instance !== undefined && route.instance !== claims.instance) return undefined;
    return { instance: claims.instance, access: claims.access, owner: `${claims.id}/${claims.access}`, admits: (instance) => instance.id === claims.id };
  }
  const name = route.instance;
  if (name === undefined || name === '' || find(name)?.jurisdiction !== claims.jurisdiction) return undefined;
  return {
    instance: name,
    access: claims.access,
    owner: `jurisdiction:${claims.jurisdiction}/${name}/${claims.access}`,
    admits: (instance) => instance.jurisdiction === claims.jurisdiction,
  };
}
