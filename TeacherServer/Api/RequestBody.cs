namespace Distill.TeacherServer.Api;

/// <summary>Reads a request body whole, refusing (null) one larger than the limit without buffering it.</summary>
public static class RequestBody
{
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellation)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        var initial = (int)Math.Min(request.ContentLength ?? 64 * 1024, limit);
        using var buffer = new MemoryStream(initial);
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellation)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null; // Kestrel's own limit (the same number) tripped first, on a body without Content-Length
        }
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }
}
