using Distill.TeacherServer.Models;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Distill.TeacherServer.Hosting;

/// <summary>Ready once at least one model is being served; /health/ready maps "not yet" (Degraded) to 503.</summary>
public sealed class ModelsReadyHealthCheck(ModelRegistry registry) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(registry.IsReady
            ? HealthCheckResult.Healthy($"{registry.Models.Count} model(s) loaded.")
            : HealthCheckResult.Degraded("No model is loaded yet.")); // Degraded: a probe during start-up is a warning, not an error log
}
