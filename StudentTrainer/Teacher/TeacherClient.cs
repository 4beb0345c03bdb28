using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Distill.Shared.Wire;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// A typed HttpClient for one TeacherServer and one of its models: top-k in the binary encoding both ways, generate in
/// JSON, the model list, and a single-attempt readiness probe. Retries, circuit breaking and timeouts come from the
/// HttpClient's resilience handler (see <see cref="TeacherHttpRegistration"/>).
/// </summary>
public sealed class TeacherClient
{
    private readonly HttpClient http;
    private readonly MediaTypeWithQualityHeaderValue acceptTopK;
    private readonly TimeSpan probeTimeout;

    /// <param name="http">An HttpClient with <see cref="HttpClient.BaseAddress"/> set to the server's root.</param>
    public TeacherClient(HttpClient http, string modelName, LogprobPrecision precision = LogprobPrecision.Float32, TimeSpan? probeTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelName);
        if (http.BaseAddress is null) throw new ArgumentException("the teacher's HttpClient needs a base address", nameof(http));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision));
        this.http = http;
        ModelName = modelName;
        Precision = precision;
        this.probeTimeout = probeTimeout ?? TimeSpan.FromSeconds(5);
        acceptTopK = new MediaTypeWithQualityHeaderValue(WireMediaTypes.TopKBinary);
        if (precision == LogprobPrecision.Float16)
            acceptTopK.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.PrecisionParameter, WireMediaTypes.Float16));
        // 16-bit ids when the teacher's vocabulary fits; a server that cannot (or an older one) answers with int32 ids.
        acceptTopK.Parameters.Add(new NameValueHeaderValue(WireMediaTypes.IdsParameter, WireMediaTypes.UInt16));
    }

    public Uri BaseAddress => http.BaseAddress!;

    public string ModelName { get; }

    public LogprobPrecision Precision { get; }

    /// <summary>GET /v1/models: every model the server holds.</summary>
    public Task<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken ct) => ListModelsAsync(http, ct);

    /// <summary>GET /v1/models through <paramref name="http"/> (base address set), before any model is chosen.</summary>
    public static async Task<IReadOnlyList<ModelInfo>> ListModelsAsync(HttpClient http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync("v1/models", ct).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, ct).ConfigureAwait(false);
        var list = await response.Content.ReadFromJsonAsync(WireJsonContext.Default.ModelList, ct).ConfigureAwait(false);
        return list?.Models ?? throw new InvalidDataException($"The teacher at {http.BaseAddress} answered GET /v1/models with an empty body.");
    }

    /// <summary>
    /// POST /v1/models/{name}/topk, binary both ways; float16 log-probs (if asked for) arrive widened to float32. A request
    /// with a start gets positions from there on, which a server with a prefix cache computes incrementally.
    /// </summary>
    /// <exception cref="TeacherRequestException">The server answered with an error status (after retries, for transient ones).</exception>
    public async Task<TopKResult> TopKAsync(TopKRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var message = new HttpRequestMessage(HttpMethod.Post, ModelPath("topk"))
        {
            Content = new ByteArrayContent(TopKBinaryCodec.EncodeRequest(request)),
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(WireMediaTypes.TopKBinary);
        message.Headers.Accept.Add(acceptTopK);
        using var response = await http.SendAsync(message, ct).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, ct).ConfigureAwait(false);
        if (!string.Equals(response.Content.Headers.ContentType?.MediaType, WireMediaTypes.TopKBinary, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException(
                $"The teacher at {BaseAddress} answered top-k with Content-Type '{response.Content.Headers.ContentType}', not {WireMediaTypes.TopKBinary}.");
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return TopKBinaryCodec.DecodeResponse(bytes);
    }

    /// <summary>POST /v1/models/{name}/generate (JSON).</summary>
    /// <exception cref="TeacherRequestException">The server answered with an error status (after retries, for transient ones).</exception>
    public async Task<GenerateResponse> GenerateAsync(GenerateRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await http.PostAsJsonAsync(ModelPath("generate"), request, WireJsonContext.Default.GenerateRequest, ct).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(WireJsonContext.Default.GenerateResponse, ct).ConfigureAwait(false)
            ?? throw new InvalidDataException($"The teacher at {BaseAddress} answered generate with an empty body.");
    }

    /// <summary>GET /health/ready, one attempt (no retries) within the probe timeout: true when the server answers 200.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(probeTimeout);
        using var message = new HttpRequestMessage(HttpMethod.Get, "health/ready");
        TeacherRequestOptions.MarkSingleAttempt(message);
        try
        {
            using var response = await http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private string ModelPath(string action) => $"v1/models/{Uri.EscapeDataString(ModelName)}/{action}";

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var (title, detail) = ReadProblem(body);
        if (title is null && detail is null && !string.IsNullOrWhiteSpace(body))
            detail = body.Length > 500 ? body[..500] + "…" : body.Trim();
        throw new TeacherRequestException(response.RequestMessage?.RequestUri ?? new Uri("unknown:"), response.StatusCode, title, detail);
    }

    /// <summary>The title and detail of an RFC 9457 problem body; nulls when the body is not one.</summary>
    private static (string? Title, string? Detail) ReadProblem(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, null);
            return (Text(document.RootElement, "title"), Text(document.RootElement, "detail"));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? Text(JsonElement problem, string name) =>
        problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
