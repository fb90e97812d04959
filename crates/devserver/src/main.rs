//! `chat-devserver`: parse the command line, bind, print the address, serve until
//! SIGINT/SIGTERM.

use chat_devserver::{Options, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("chat-devserver: {e}\n\n{}", chat_devserver::USAGE);
            std::process::exit(2);
        }
    };
    if options.help {
        println!("{}", chat_devserver::USAGE);
        return Ok(());
    }
    chat_devserver::init_logging();
    let listener = tokio::net::TcpListener::bind(&options.listen).await?;
    run(listener, options, chat_devserver::shutdown_signal()).await
}
