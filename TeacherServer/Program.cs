using Distill.Shared.Wire;
using Distill.TeacherServer.Api;
using Distill.TeacherServer.Compatible;
using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Memory;
using Distill.TeacherServer.Models;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Prometheus;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, CommandLineSwitches.Map);
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls(CommandLineSwitches.DefaultUrls);
}
if (builder.Configuration["Logging:Console:FormatterName"] is null)
{
    builder.Logging.AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
        console.UseUtcTimestamp = true;
    });
}
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

builder.Services.AddTeacherServerOptions();
builder.Services.AddSingleton<MemoryBudgets>();
if (InlineIo.IsEnabled(builder.Configuration))
{
    InlineIo.Enable(builder.WebHost);
}
builder.Services.AddOptions<KestrelServerOptions>()
    .Configure<IOptions<TeacherServerOptions>, MemoryBudgets>((kestrel, teacher, budgets) =>
    {
        var grace = TimeSpan.FromSeconds(teacher.Value.DataRateGraceSeconds);
        kestrel.Limits.MaxRequestBodySize = budgets.MaxBodyBytes;
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(teacher.Value.MinRequestBodyBytesPerSecond, grace);
        kestrel.Limits.MinResponseDataRate = new MinDataRate(teacher.Value.MinResponseBytesPerSecond, grace);
    });
builder.Services.ConfigureHttpJsonOptions(json =>
{
    json.SerializerOptions.TypeInfoResolverChain.Insert(0, WireJsonContext.Default);
    json.SerializerOptions.TypeInfoResolverChain.Insert(1, CompatibleJsonContext.Default);
    json.SerializerOptions.NumberHandling = WireJsonContext.Default.Options.NumberHandling;
});
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
builder.Services.AddHealthChecks().AddCheck<ModelsReadyHealthCheck>("models", tags: [ModelsReadyHealthCheck.ReadyTag]);

builder.Services.AddSingleton<ModelRegistry>();
builder.Services.AddSingleton<ModelLoader>();
builder.Services.AddSingleton<ModelFolderScanner>();
builder.Services.AddSingleton<ApiKeyFilter>();
builder.Services.AddHostedService<ModelFolderWatcher>();
builder.Services.AddHostedService<ParentProcessWatcher>();

try
{
    var app = builder.Build();

    app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        StatusCodeSelector = exception => exception is Microsoft.AspNetCore.Http.BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
    });
    app.UseStatusCodePages();
    app.UseHttpMetrics();

    app.MapOpenApi();
    app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
    app.MapHealthChecks("/health/ready", new HealthCheckOptions
    {
        Predicate = check => check.Tags.Contains(ModelsReadyHealthCheck.ReadyTag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    });
    app.MapMetrics();
    app.MapTeacherApi();
    app.MapCompatibleApi();

    app.Run();
    return 0;
}
catch (OptionsValidationException invalid)
{
    // An invalid setting stops the server at start with one line per failure, not an unhandled-exception dump.
    foreach (var failure in invalid.Failures)
    {
        Console.Error.WriteLine($"error: {failure}");
    }
    return 1;
}
catch (InvalidOperationException unreadable) when (unreadable.InnerException is FormatException or ArgumentException)
{
    // A setting that does not parse as its type (e.g. --inline-io maybe, --max-k many).
    Console.Error.WriteLine($"error: {unreadable.Message}");
    return 1;
}

public partial class Program;
