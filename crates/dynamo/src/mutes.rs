//! Mutes on DynamoDB: `mutedUntil` on the user's conversation summary (the append's own
//! summary writes set other attributes and leave it alone).

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chat_core::ids::{Conversation, UserId};
use chat_core::schema::conversations as cv;
use chat_core::store::{MuteStore, StoreError};

use crate::items::s;
use crate::store::DynamoStore;
use crate::unavailable;

impl MuteStore for DynamoStore {
    async fn set_mute(
        &self,
        user: &UserId,
        conversation: &Conversation,
        until: Option<i64>,
    ) -> Result<bool, StoreError> {
        let update = self
            .client
            .update_item()
            .table_name(&self.tables.conversations)
            .key(cv::PK, s(user.as_str()))
            .key(cv::SK, s(conversation.to_string()))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", cv::PK)
            .expression_attribute_names("#muted", cv::MUTED_UNTIL);
        let update = match until {
            Some(u) => update
                .update_expression("SET #muted = :u")
                .expression_attribute_values(":u", AttributeValue::N(u.to_string())),
            None => update.update_expression("REMOVE #muted"),
        };
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.as_service_error(), Some(UpdateItemError::ConditionalCheckFailedException(_))) => {
                Ok(false)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
