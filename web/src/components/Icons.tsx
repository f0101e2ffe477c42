// A handful of stroke icons (no icon library: each is one path, 24×24 viewBox).
import type { SVGProps } from 'react';

type IconProps = SVGProps<SVGSVGElement> & { size?: number };

function icon(d: string) {
  return function Icon({ size = 18, ...rest }: IconProps) {
    return (
      <svg
        width={size}
        height={size}
        viewBox="0 0 24 24"
        fill="none"
        stroke="currentColor"
        strokeWidth={2}
        strokeLinecap="round"
        strokeLinejoin="round"
        aria-hidden="true"
        focusable="false"
        {...rest}
      >
        <path d={d} />
      </svg>
    );
  };
}

export const IconPlus = icon('M12 5v14M5 12h14');
export const IconTrash = icon(
  'M4 7h16M10 11v6M14 11v6M5 7l1 12a2 2 0 0 0 2 2h8a2 2 0 0 0 2-2l1-12M9 7V4h6v3',
);
export const IconSun = icon(
  'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4',
);
export const IconMoon = icon('M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z');
export const IconCopy = icon('M9 9h11v11H9zM5 15H4V4h11v1');
export const IconCheck = icon('M5 12l5 5L20 7');
export const IconLogout = icon('M15 4h4v16h-4M10 17l5-5-5-5M15 12H3');
export const IconUser = icon('M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0');
export const IconUp = icon('M12 19V5M6 11l6-6 6 6');
export const IconDown = icon('M12 5v14M6 13l6 6 6-6');
export const IconSort = icon('M8 9l4-4 4 4M8 15l4 4 4-4');
export const IconSearch = icon('M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zM21 21l-5-5');
export const IconDashboard = icon('M4 4h7v7H4zM13 4h7v4h-7zM13 10h7v10h-7zM4 13h7v7H4z');
export const IconServer = icon('M4 4h16v6H4zM4 14h16v6H4zM8 7h.01M8 17h.01');
export const IconVideo = icon('M3 6h12v12H3zM15 10l6-4v12l-6-4');
export const IconX = icon('M6 6l12 12M18 6L6 18');
export const IconExternal = icon('M14 4h6v6M20 4l-9 9M18 14v6H4V6h6');
