package dev.ballast.core.endpoint;

import java.util.Locale;

/**
 * IPv6 addresses in the one text form RFC 5952 recommends: lower case, no leading zeros, the longest
 * run of two or more zero groups (the first of equal runs) as {@code ::}. So two spellings of one
 * address name one endpoint, and the address shows as DNS answers and other tools write it.
 */
final class Ipv6Text {

    private Ipv6Text() {
    }

    /**
     * {@code host} in canonical form when it is an IPv6 address (a zone, {@code %eth0}, kept as it is);
     * anything else, a name, an IPv4 address or an IPv6 address with an IPv4 tail, unchanged.
     */
    static String canonical(String host) {
        if (host.indexOf(':') < 0 || host.indexOf('.') >= 0) {
            return host;
        }
        int percent = host.indexOf('%');
        String address = percent < 0 ? host : host.substring(0, percent);
        int[] groups = groups(address);
        if (groups == null) {
            return host; // not an address: left for the caller's own check to refuse
        }
        return format(groups) + (percent < 0 ? "" : host.substring(percent));
    }

    /** The eight groups, or null when {@code text} is not eight groups, or fewer around one "::". */
    private static int[] groups(String text) {
        int gap = text.indexOf("::");
        if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
            return null;
        }
        String[] head = gap < 0 ? text.split(":", -1) : split(text.substring(0, gap));
        String[] tail = gap < 0 ? new String[0] : split(text.substring(gap + 2));
        int zeros = 8 - head.length - tail.length;
        if (gap < 0 ? head.length != 8 : zeros < 1) {
            return null;
        }
        int[] groups = new int[8];
        int at = 0;
        for (String group : head) {
            groups[at++] = hex(group);
        }
        at += gap < 0 ? 0 : zeros;
        for (String group : tail) {
            groups[at++] = hex(group);
        }
        for (int group : groups) {
            if (group < 0) {
                return null;
            }
        }
        return groups;
    }

    private static String[] split(String part) {
        return part.isEmpty() ? new String[0] : part.split(":", -1);
    }

    /** The group's value, or -1 unless it is one to four hex digits. */
    private static int hex(String group) {
        if (group.isEmpty() || group.length() > 4) {
            return -1;
        }
        int value = 0;
        for (int i = 0; i < group.length(); i++) {
            int digit = Character.digit(group.charAt(i), 16);
            if (digit < 0) {
                return -1;
            }
            value = value * 16 + digit;
        }
        return value;
    }

    private static String format(int[] groups) {
        int bestStart = -1;
        int bestLength = 1; // a single zero group stays "0" (RFC 5952 §4.2.2)
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int end = i;
            while (end < 8 && groups[end] == 0) {
                end++;
            }
            if (end - i > bestLength) {
                bestStart = i;
                bestLength = end - i;
            }
            i = end;
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString().toLowerCase(Locale.ROOT);
    }
}
