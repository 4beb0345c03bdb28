using Distill.Shared.Wire;
using Microsoft.Extensions.DependencyInjection;

namespace Distill.StudentTrainer.Teacher;

/// <summary>
/// The HttpClient factory behind every <see cref="TeacherClient"/> of a run (one service provider holding the
/// pooled handlers and one resilience pipeline per server). Dispose it when the run ends.
/// </summary>
public sealed class TeacherHttpClients : IDisposable
{
    private readonly ServiceProvider services;
    private readonly IHttpClientFactory factory;

    /// <param name="primaryHandler">Replaces the socket handler under the resilience pipeline (tests use a stub).</param>
    /// <param name="time">The clock of the pipeline's delays and timeouts (the system's when null).</param>
    public TeacherHttpClients(TeacherClientOptions options, Func<HttpMessageHandler>? primaryHandler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        var collection = new ServiceCollection();
        collection.AddSingleton(time ?? TimeProvider.System);
        var builder = collection.AddTeacherHttpClient(options);
        if (primaryHandler is not null) builder.ConfigurePrimaryHttpMessageHandler(primaryHandler);
        services = collection.BuildServiceProvider();
        factory = services.GetRequiredService<IHttpClientFactory>();
    }

    public TeacherClientOptions Options { get; }

    /// <summary>An HttpClient whose requests go to <paramref name="baseAddress"/> through the resilience pipeline.</summary>
    public HttpClient CreateHttpClient(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || baseAddress.Scheme is not ("http" or "https"))
            throw new ArgumentException($"a teacher address must be an absolute http(s) URL, got '{baseAddress}'");
        var http = factory.CreateClient(TeacherHttpRegistration.ClientName);
        // Relative paths resolve under the base only when it ends with '/'.
        http.BaseAddress = baseAddress.AbsoluteUri.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
        return http;
    }

    /// <summary>A client of model <paramref name="modelName"/> on the server at <paramref name="baseAddress"/>.</summary>
    public TeacherClient Create(Uri baseAddress, string modelName) =>
        new(CreateHttpClient(baseAddress), modelName, Options.Precision, Options.ProbeTimeout);

    public void Dispose() => services.Dispose();
}
