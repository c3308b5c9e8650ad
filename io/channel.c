/* What every channel shares (channel.h). */
#include "io/channel.h"

void channel_abandon(IOChannel ch)
{
    if (ch.ops && ch.ops->abandon) {
        ch.ops->abandon(ch.opaque);
    }
}
