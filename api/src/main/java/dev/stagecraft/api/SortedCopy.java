package dev.stagecraft.api;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Immutable, key-sorted copies of string maps, so labels, env and details print in a stable order. */
final class SortedCopy {
    private SortedCopy() {
    }

    static <V> Map<String, V> of(Map<String, V> map, String what) {
        TreeMap<String, V> copy = new TreeMap<>();
        for (Map.Entry<String, V> entry : map.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new NullPointerException(what + " contains a null key or value");
            }
            copy.put(entry.getKey(), entry.getValue());
        }
        return Collections.unmodifiableSortedMap(copy);
    }
}
