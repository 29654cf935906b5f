namespace Edgewise.Gguf;

/// <summary>
/// A write-only, forward-only view of a stream that accepts exactly <c>limit</c> bytes: what a tensor data callback
/// of <see cref="GgufWriter"/> writes to. Writing past the limit throws, so a callback cannot corrupt the layout.
/// </summary>
internal sealed class BoundedWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly long _limit;

    public BoundedWriteStream(Stream inner, long limit)
    {
        _inner = inner;
        _limit = limit;
    }

    public long Written { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > _limit - Written)
        {
            throw new InvalidOperationException("The tensor data callback wrote more bytes than the tensor holds.");
        }

        _inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush() => _inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
