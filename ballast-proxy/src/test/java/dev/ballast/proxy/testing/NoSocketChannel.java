package dev.ballast.proxy.testing;

import io.netty.channel.ChannelException;
import io.netty.channel.socket.nio.NioSocketChannel;

/** A socket channel that cannot be made, as when the process has no file descriptor left. */
public final class NoSocketChannel extends NioSocketChannel {

    public NoSocketChannel() {
        throw new ChannelException("newSocketStream(..) failed: Too many open files");
    }
}
