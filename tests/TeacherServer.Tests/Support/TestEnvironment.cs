using System.Runtime.CompilerServices;

namespace Distill.TeacherServer.Tests.Support;

internal static class TestEnvironment
{
    /// <summary>
    /// Hosts must not watch appsettings.json: every watcher is an inotify instance, and the per-user limit is shared
    /// with every other process of the machine's user.
    /// </summary>
    [ModuleInitializer]
    internal static void DisableConfigurationReload() =>
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
}
