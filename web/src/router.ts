import { useEffect, useState } from 'react';

export type Route =
  | { name: 'login' }
  | { name: 'signup' }
  | { name: 'work' }
  | { name: 'projects' }
  | { name: 'project'; id: string }
  | { name: 'profile' }
  /** The Time screen: a project's week (a Monday), both optional. */
  | { name: 'time'; projectId?: string; week?: string }
  | { name: 'notifications' }
  | { name: 'admin' }
  | { name: 'explorer' }
  | { name: 'notFound'; path: string };

/** Reads a `#/path` hash; the empty hash is "My work". */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\/+$/, '') || '/work';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 1) {
    switch (first) {
      case 'login':
      case 'signup':
      case 'work':
      case 'projects':
      case 'profile':
      case 'notifications':
      case 'admin':
      case 'explorer':
        return { name: first };
      case 'time':
        return { name: 'time' };
      default:
        break;
    }
  }
  if (parts.length === 2 && first === 'projects' && second) return { name: 'project', id: second };
  if ((parts.length === 2 || parts.length === 3) && first === 'time' && second) {
    const week = parts[2];
    return week ? { name: 'time', projectId: second, week } : { name: 'time', projectId: second };
  }
  return { name: 'notFound', path };
}

/** The `href` for a route. */
export function href(route: Route): string {
  switch (route.name) {
    case 'project':
      return `#/projects/${encodeURIComponent(route.id)}`;
    case 'time':
      if (!route.projectId) return '#/time';
      return `#/time/${encodeURIComponent(route.projectId)}${route.week ? `/${route.week}` : ''}`;
    case 'notFound':
      return `#${route.path}`;
    default:
      return `#/${route.name}`;
  }
}

export function navigate(route: Route): void {
  window.location.hash = href(route);
}

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
