using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Distill.Shared.Wire;

namespace Distill.StudentTrainer.Tests.Teacher;

/// <summary>
/// Stands in for a TeacherServer under the real resilience pipeline: answers each attempt with <c>respond(attempt,
/// request)</c> (attempts numbered from 1) and counts them.
/// </summary>
internal sealed class StubTeacherHandler(Func<int, HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
{
    private int attempts;

    public int Attempts => Volatile.Read(ref attempts);

    public static Uri Address { get; } = new("http://stub-teacher:5080/");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref attempts);
        if (request.Content is not null) await request.Content.LoadIntoBufferAsync(cancellationToken);
        var response = respond(attempt, request);
        response.RequestMessage = request;
        return response;
    }

    /// <summary>A binary top-k answer to the request in <paramref name="request"/>: ids 0..k-1 and made-up log-probs.</summary>
    public static HttpResponseMessage TopKAnswer(HttpRequestMessage request, string version)
    {
        var topk = TopKBinaryCodec.DecodeRequest(request.Content!.ReadAsByteArrayAsync().GetAwaiter().GetResult());
        var sequences = topk.Sequences.Select(s => new SequenceTopK(s.Length, topk.K,
            Enumerable.Range(0, s.Length * topk.K).Select(i => i % topk.K).ToArray(),
            Enumerable.Range(0, s.Length * topk.K).Select(i => -1f - i % topk.K).ToArray(),
            Enumerable.Range(0, s.Length).Select(t => t == s.Length - 1 ? float.NaN : -2f).ToArray())).ToArray();
        var content = new ByteArrayContent(TopKBinaryCodec.EncodeResponse(new TopKResult("stub", version, topk.K, sequences)));
        content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    public static HttpResponseMessage Problem(HttpStatusCode status, string detail, TimeSpan? retryAfter = null)
    {
        var body = $$"""{"type":"about:blank","title":"{{status}}","status":{{(int)status}},"detail":"{{detail}}"}""";
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/problem+json") };
        if (retryAfter is { } delay) response.Headers.RetryAfter = new RetryConditionHeaderValue(delay);
        return response;
    }
}
