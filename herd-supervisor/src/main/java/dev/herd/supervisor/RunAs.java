package dev.herd.supervisor;

/**
 * The user and group an instance runs as (PM2's {@code uid} and {@code gid}), for a daemon that
 * runs as root: the launcher drops to them before the program starts, real, effective and saved
 * ids alike, so the instance cannot get root back.
 *
 * @param uid        the user id
 * @param gid        the group id
 * @param initGroups whether the instance gets the user's supplementary groups from
 *                   {@code /etc/group}, as a login does ({@code initgroups(3)}); otherwise it gets
 *                   none, as Node's {@code spawn} with a uid leaves it (possible only for a user
 *                   {@code /etc/passwd} names)
 */
public record RunAs(int uid, int gid, boolean initGroups) {

    public RunAs {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("uid and gid must not be negative, were " + uid + " and " + gid);
        }
    }
}
