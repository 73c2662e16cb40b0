import type { Params } from 'react-router';

/**
 * Where a request's tenant name is: a route parameter (`/t/:name`, the default) or the first
 * label of a subdomain of `baseHost` (`acme.example.com` for `example.com`).
 */
export type TenantNameSource = { readonly param: string } | { readonly subdomainOf: string };

/** The tenant's name for a request, or undefined when the request names none. */
export function tenantNameOf(source: TenantNameSource, request: Request, params: Params): string | undefined {
  if ('param' in source) return nonEmpty(params[source.param]);
  return subdomainName(new URL(request.url).hostname, source.subdomainOf);
}

/**
 * `acme` for `acme.example.com` under `example.com`. The base host itself, other hosts and
 * deeper names (`a.b.example.com`) name no tenant: one label, so a name cannot smuggle dots.
 * The port of either side is ignored, and host names compare case-insensitively (URL
 * lowercases the request's).
 */
export function subdomainName(hostname: string, baseHost: string): string | undefined {
  const base = hostOnly(baseHost);
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (base === '' || !host.endsWith(`.${base}`)) return undefined;
  const label = host.slice(0, -(base.length + 1));
  return label.includes('.') ? undefined : nonEmpty(label);
}

function hostOnly(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/:\d+$/, '')
    .replace(/\.$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
