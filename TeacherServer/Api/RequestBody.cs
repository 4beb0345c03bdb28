using System.Buffers;
using Distill.TeacherServer.Memory;

namespace Distill.TeacherServer.Api;

/// <summary>
/// Reads a request body into one array that grows as bytes arrive, never ahead of them to a claimed Content-Length;
/// every growth is taken from the body budget first.
/// </summary>
public static class RequestBody
{
    private const int FirstCapacity = 16 * 1024;

    /// <param name="charge">The request's share of the body budget; it holds the array's size when this returns.</param>
    /// <param name="limit">The largest body accepted.</param>
    public static async Task<ReceivedBody> ReadAsync(HttpRequest request, BudgetCharge charge, long limit, CancellationToken cancellation)
    {
        var declared = request.ContentLength;
        if (declared > limit)
        {
            return ReceivedBody.Failed(BodyOutcome.TooLarge);
        }
        var buffer = Array.Empty<byte>();
        var length = 0;
        try
        {
            while (true)
            {
                var read = await request.BodyReader.ReadAsync(cancellation);
                var data = read.Buffer;
                if (length + data.Length > limit)
                {
                    return ReceivedBody.Failed(BodyOutcome.TooLarge);
                }
                if (length + data.Length > buffer.Length)
                {
                    var capacity = Grow(buffer.Length, length + data.Length, declared ?? limit);
                    if (!charge.TryResize(capacity))
                    {
                        return ReceivedBody.Failed(BodyOutcome.BudgetExhausted);
                    }
                    var larger = GC.AllocateUninitializedArray<byte>(capacity);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    buffer = larger;
                }
                data.CopyTo(buffer.AsSpan(length));
                length += (int)data.Length;
                request.BodyReader.AdvanceTo(data.End);
                if (read.IsCompleted)
                {
                    return new ReceivedBody(BodyOutcome.Read, buffer, length, null);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ReceivedBody.Failed(BodyOutcome.TooLarge); // Kestrel's own limit (the same number) tripped first, on a body without Content-Length
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or OperationCanceledException)
        {
            // The client closed or reset the connection, or sent too slowly: an event of the network, not of the server.
            return new ReceivedBody(BodyOutcome.EndedEarly, [], 0, e);
        }
    }

    /// <summary>Doubles (from 16 KiB) up to the declared length or the limit, and at least to what has arrived.</summary>
    private static int Grow(int capacity, long needed, long ceiling) =>
        (int)Math.Max(needed, Math.Min(Math.Max(2L * capacity, FirstCapacity), ceiling));
}

public enum BodyOutcome
{
    Read,
    TooLarge,
    BudgetExhausted,
    EndedEarly,
}

/// <summary>A body read whole (<see cref="Bytes"/>), or why not.</summary>
/// <param name="Error">Why the upload ended early, for <see cref="BodyOutcome.EndedEarly"/>.</param>
public sealed record ReceivedBody(BodyOutcome Outcome, byte[] Buffer, int Length, Exception? Error)
{
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);

    public static ReceivedBody Failed(BodyOutcome outcome) => new(outcome, [], 0, null);
}
